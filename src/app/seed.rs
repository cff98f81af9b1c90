//! The demo, when asked for (LEADLINE_DEMO=true): on the first start with an
//! empty database, a platform admin, an organisation "Acme" with the
//! Developer API on, a developer and some leads.

use rand::{distributions::Alphanumeric, Rng};

use super::{AppState, BoxError};
use crate::auth::domain::MemberPermissions;
use crate::auth::{accounts, data as users};
use crate::leads::domain::LeadDraft;
use crate::leads::service::{self as leads, Actor};
use crate::orgs::domain::Flag;
use crate::orgs::service as orgs;

pub const ADMIN_EMAIL: &str = "admin@leadline.test";
pub const DEVELOPER_EMAIL: &str = "dev@acme.test";

fn random_password() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(16)
        .map(char::from)
        .collect()
}

/// Creates the demo when asked for (LEADLINE_DEMO=true) and the database
/// has no account yet; otherwise says how to create the first one.
pub async fn seed_demo_if_empty(state: &AppState) -> Result<(), BoxError> {
    if users::count_users(&state.db).await? > 0 {
        return Ok(());
    }
    if !state.config.demo {
        tracing::warn!(
            "no accounts yet: create a platform admin with \
             `leadline user create --email you@example.com --password-stdin --platform-admin` \
             (or start with LEADLINE_DEMO=true for a demo)"
        );
        return Ok(());
    }
    // LEADLINE_DEMO_PASSWORD fixes the password (for tests); otherwise random.
    let password = std::env::var("LEADLINE_DEMO_PASSWORD").unwrap_or_else(|_| random_password());
    let now = state.clock.now().timestamp_millis();
    accounts::create_user(&state.db, ADMIN_EMAIL, &password, true, now).await?;
    // LEADLINE_DEMO_TOTP_SECRET gives the demo admin two-factor sign-in with
    // a known secret (tests); otherwise the console asks them to set it up.
    if let Ok(secret) = std::env::var("LEADLINE_DEMO_TOTP_SECRET") {
        accounts::turn_on_two_factor_with(state, ADMIN_EMAIL, &secret).await?;
    }
    let acme = orgs::create_organisation(state, "demo seed", "Acme").await?;
    orgs::set_flag(state, "demo seed", acme.as_str(), Flag::DeveloperApi, true).await?;
    orgs::add_member(
        state,
        acme.as_str(),
        ADMIN_EMAIL,
        MemberPermissions {
            admin: true,
            developer: true,
        },
    )
    .await?;
    accounts::create_user(&state.db, DEVELOPER_EMAIL, &password, false, now).await?;
    orgs::add_member(
        state,
        acme.as_str(),
        DEVELOPER_EMAIL,
        MemberPermissions {
            admin: false,
            developer: true,
        },
    )
    .await?;
    let org = crate::orgs::data::find_organisation(&state.db, acme.as_str())
        .await?
        .ok_or("demo organisation missing")?;
    let demo = [
        (
            "Ada Lovelace",
            "ada@analytical.example",
            "Analytical Engines",
            "qualified",
            "Conference",
        ),
        (
            "Grace Hopper",
            "grace@cobol.example",
            "Compilers Inc",
            "new",
            "Website",
        ),
        (
            "Katherine Johnson",
            "katherine@orbit.example",
            "Orbital Mechanics",
            "contacted",
            "Referral",
        ),
        (
            "Alan Turing",
            "alan@bletchley.example",
            "Bletchley Park",
            "won",
            "Cold email",
        ),
    ];
    for (name, email, company, status, source) in demo {
        let draft = LeadDraft {
            name: name.into(),
            email: email.into(),
            company: company.into(),
            status: status.into(),
            source: source.into(),
            ..Default::default()
        };
        leads::create(state, org.id, &draft, Actor::User("demo seed")).await?;
    }
    println!();
    println!(
        "  Leadline demo created. Sign in at http://{}/sign-in",
        state.leptos_options.site_addr
    );
    println!("    platform admin:  {ADMIN_EMAIL}");
    println!("    developer:       {DEVELOPER_EMAIL}");
    println!("    password (both): {password}");
    println!(
        "  This is shown once; change it or create your own users with `leadline user create`."
    );
    println!();
    Ok(())
}
