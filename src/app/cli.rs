//! The operator CLI on the same binary: `leadline serve`, `migrate`, `user`, `org`.

use std::io::Read;

use clap::{Args, Parser, Subcommand};

use super::{AppState, BoxError};
use crate::auth::data::memberships_of;
use crate::auth::domain::MemberPermissions;
use crate::auth::session::OrgScope;
use crate::auth::{accounts, data as users};
use crate::keys::domain::{NewKey, Permission, Permissions};
use crate::keys::service as keys;
use crate::orgs::domain::Flag;
use crate::orgs::service as orgs;

/// Who the audit log names for changes made with the operator CLI.
const CLI_ACTOR: &str = "operator (CLI)";

#[derive(Parser)]
#[command(
    name = "leadline",
    version,
    about = "Leadline: leads CRM with scoped API keys"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the dashboard and the API (the default).
    Serve,
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Manage API keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Print the public API's OpenAPI document (JSON), as served at
    /// /api/v1/openapi.json; needs no database.
    Openapi,
}

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Create an API key on behalf of a member with the Developer permission
    /// (audited as theirs); prints only the key, once.
    Create {
        #[arg(long)]
        org: String,
        /// The member the key is created for.
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Comma-separated: read,create,update,delete. Default: none.
        #[arg(long, default_value = "")]
        permissions: String,
        /// Optional expiry: YYYY-MM-DD (end of that day, UTC) or YYYY-MM-DDTHH:MM.
        #[arg(long, default_value = "")]
        expires: String,
    },
    /// Find Leadline keys in files (a pre-commit or CI check): prints
    /// `file:line:column: prefix` for each key whose checksum is valid, and
    /// exits with 1 if it found any, 2 if a file could not be read. Needs no
    /// database. Keys made before checksums (Leadline 0.1) are not found.
    Scan {
        /// Files to read ("-" for standard input).
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
    },
}

/// `leadline key scan`: what it found, one line each, and the exit code.
pub fn scan(files: &[std::path::PathBuf]) -> (Vec<String>, Vec<String>, u8) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for path in files {
        let text = if path.as_os_str() == "-" {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map(|_| text)
                .map_err(|e| e.to_string())
        } else {
            std::fs::read(path)
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .map_err(|e| e.to_string())
        };
        let text = match text {
            Ok(text) => text,
            Err(error) => {
                errors.push(format!("{}: {error}", path.display()));
                continue;
            }
        };
        for (at, key) in crate::keys::token::find_keys(&text) {
            let before = &text[..at];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            found.push(format!(
                "{}:{line}:{column}: Leadline API key {}… (revoke it on the Developer page, or report it: POST /api/v1/leaked-keys)",
                path.display(),
                key.prefix()
            ));
        }
    }
    let code = if !errors.is_empty() {
        2
    } else if !found.is_empty() {
        1
    } else {
        0
    };
    (found, errors, code)
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input.
    Create {
        #[arg(long)]
        email: String,
        /// Read the password from standard input (required, so it never shows in `ps`).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[arg(long)]
        platform_admin: bool,
    },
    /// Disable an account: its sessions end at once and sign-in is refused;
    /// the API keys it created are revoked unless --keep-keys.
    Disable {
        #[arg(long)]
        email: String,
        #[arg(long)]
        keep_keys: bool,
    },
    /// Enable a disabled account again.
    Enable {
        #[arg(long)]
        email: String,
    },
    /// Issue a one-time password-reset link (24 hours); prints its path, to
    /// be appended to the site's address. The API keys the account created
    /// are revoked unless --keep-keys.
    ResetPassword {
        #[arg(long)]
        email: String,
        #[arg(long)]
        keep_keys: bool,
    },
    /// Turn off a locked-out user's two-factor sign-in (a lost device and
    /// lost recovery codes); they are told at their next sign-in.
    ResetTwoFactor {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
pub enum OrgCommand {
    /// Create an organisation; prints its slug.
    Create {
        #[arg(long)]
        name: String,
    },
    /// Add an existing user to an organisation (or change their permissions).
    AddMember {
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        developer: bool,
        #[arg(long)]
        admin: bool,
    },
    /// Remove a member; revokes the keys they created unless --keep-keys.
    RemoveMember {
        #[arg(long)]
        org: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        keep_keys: bool,
    },
    /// Turn a feature flag on or off.
    SetFlag(SetFlag),
}

#[derive(Args)]
pub struct SetFlag {
    #[arg(long)]
    org: String,
    /// The flag's name, e.g. developer-api.
    #[arg(long)]
    flag: String,
    #[arg(long, conflicts_with = "off", required_unless_present = "off")]
    on: bool,
    #[arg(long)]
    off: bool,
}

fn parse_permissions(raw: &str) -> Result<Permissions, BoxError> {
    let mut permissions = Permissions::default();
    for word in raw.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        let permission = Permission::ALL
            .into_iter()
            .find(|p| p.label() == word)
            .ok_or_else(|| {
                format!("Unknown permission {word:?}. Use read, create, update, delete.")
            })?;
        permissions.set(permission, true);
    }
    Ok(permissions)
}

/// The same gate as the Developer page: a member with the Developer
/// permission, in an organisation whose Developer API flag is on.
async fn developer_scope(state: &AppState, slug: &str, email: &str) -> Result<OrgScope, BoxError> {
    let user = users::find_user_by_email(&state.db, &email.trim().to_lowercase())
        .await?
        .ok_or_else(|| format!("No user with email {email}."))?;
    let membership = memberships_of(&state.db, user.id)
        .await?
        .into_iter()
        .find(|m| m.slug == slug)
        .ok_or_else(|| format!("{email} is not a member of {slug}."))?;
    crate::auth::session::developer_gate(&membership)?;
    Ok(OrgScope {
        id: membership.organisation_id,
        slug: membership.slug,
        name: membership.name,
        user_id: user.id,
        actor: format!("{} (CLI)", user.email),
    })
}

fn read_password() -> Result<String, BoxError> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    Ok(input.trim_end_matches(['\n', '\r']).to_owned())
}

/// Runs an operator command and returns what to print on stdout.
pub async fn run(state: &AppState, command: Command) -> Result<Option<String>, BoxError> {
    state.changes.check_shared()?;
    let output = run_command(state, command).await?;
    state.changes.check_shared()?;
    Ok(output)
}

async fn run_command(state: &AppState, command: Command) -> Result<Option<String>, BoxError> {
    let now = state.clock.now().timestamp_millis();
    match command {
        Command::Serve | Command::Migrate | Command::Openapi => Ok(None),
        Command::User(UserCommand::Create {
            email,
            platform_admin,
            ..
        }) => {
            let password = read_password()?;
            accounts::create_user(&state.db, &email, &password, platform_admin, now).await?;
            eprintln!("User {email} created.");
            Ok(None)
        }
        Command::User(UserCommand::Disable { email, keep_keys }) => {
            let operator = crate::orgs::service::OPERATOR;
            let user_id = accounts::set_disabled(state, operator, &email, true).await?;
            eprintln!("{email} is disabled; their sessions have ended.");
            if !keep_keys {
                let why = format!("on disabling {}", email.trim().to_lowercase());
                let revoked =
                    crate::keys::service::revoke_created_by(state, user_id, operator, &why).await?;
                eprintln!("{revoked} API keys they created revoked.");
            }
            Ok(None)
        }
        Command::User(UserCommand::Enable { email }) => {
            accounts::set_disabled(state, crate::orgs::service::OPERATOR, &email, false).await?;
            eprintln!("{email} is enabled.");
            Ok(None)
        }
        Command::User(UserCommand::ResetTwoFactor { email }) => {
            let operator = crate::orgs::service::OPERATOR;
            accounts::reset_two_factor(state, &email, operator).await?;
            eprintln!("Two-factor sign-in of {email} is off; they can turn it on again.");
            Ok(None)
        }
        Command::User(UserCommand::ResetPassword { email, keep_keys }) => {
            let operator = crate::orgs::service::OPERATOR;
            let (user_id, path) = accounts::create_reset_link(state, operator, &email).await?;
            if !keep_keys {
                let why = format!("on a password reset for {}", email.trim().to_lowercase());
                let revoked =
                    crate::keys::service::revoke_created_by(state, user_id, operator, &why).await?;
                eprintln!("{revoked} API keys they created revoked.");
            }
            eprintln!(
                "One-time link for {email}, valid 24 hours; append it to the site's address:"
            );
            Ok(Some(path))
        }
        Command::Org(OrgCommand::RemoveMember {
            org,
            email,
            keep_keys,
        }) => {
            let found = crate::orgs::data::find_organisation(&state.db, org.trim())
                .await?
                .ok_or_else(|| format!("No organisation with slug {:?}.", org.trim()))?;
            let scope = OrgScope {
                id: found.id,
                slug: found.slug,
                name: found.name,
                user_id: 0,
                actor: CLI_ACTOR.into(),
            };
            orgs::remove_member(state, &scope, &email, !keep_keys).await?;
            eprintln!("{email} is no longer a member of {org}.");
            Ok(None)
        }
        Command::Org(OrgCommand::Create { name }) => {
            let slug = orgs::create_organisation(state, CLI_ACTOR, &name).await?;
            Ok(Some(slug.as_str().to_owned()))
        }
        Command::Org(OrgCommand::AddMember {
            org,
            email,
            developer,
            admin,
        }) => {
            orgs::add_member(state, &org, &email, MemberPermissions { admin, developer }).await?;
            eprintln!("{email} is a member of {org}.");
            Ok(None)
        }
        Command::Key(KeyCommand::Create {
            org,
            email,
            name,
            permissions,
            expires,
        }) => {
            let scope = developer_scope(state, &org, &email).await?;
            let permissions = parse_permissions(&permissions)?;
            let new = NewKey::parse(&name, permissions, &expires, state.clock.now())?;
            let created = keys::create(state, &scope, new, false).await?;
            eprintln!(
                "Key {} created for {email} in {org}. It is shown only once.",
                created.key.prefix
            );
            Ok(Some(created.plaintext))
        }
        // Handled in main, before any database is opened.
        Command::Key(KeyCommand::Scan { .. }) => {
            Err("`leadline key scan` needs no database".into())
        }
        Command::Org(OrgCommand::SetFlag(SetFlag { org, flag, on, .. })) => {
            let parsed = Flag::parse(&flag).ok_or_else(|| {
                let known: Vec<_> = Flag::ALL.iter().map(|f| f.key()).collect();
                format!("Unknown flag {flag:?}. Known flags: {}.", known.join(", "))
            })?;
            orgs::set_flag(state, CLI_ACTOR, &org, parsed, on).await?;
            eprintln!(
                "{} is {} for {org}.",
                parsed.label(),
                if on { "on" } else { "off" }
            );
            Ok(None)
        }
    }
}
