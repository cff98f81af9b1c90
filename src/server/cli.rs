//! The operator CLI on the same binary: `leadline serve`, `migrate`, `user`, `org`.

use std::io::Read;

use clap::{Args, Parser, Subcommand};

use super::{AppState, BoxError};
use crate::auth::accounts;
use crate::orgs::domain::{Flag, MemberPermissions};
use crate::orgs::service as orgs;

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

fn read_password() -> Result<String, BoxError> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    Ok(input.trim_end_matches(['\n', '\r']).to_owned())
}

/// Runs an operator command and returns what to print on stdout.
pub async fn run(state: &AppState, command: Command) -> Result<Option<String>, BoxError> {
    let now = state.clock.now().timestamp_millis();
    match command {
        Command::Serve | Command::Migrate => Ok(None),
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
        Command::Org(OrgCommand::Create { name }) => {
            let slug = orgs::create_organisation(state, &name).await?;
            Ok(Some(slug.as_str().to_owned()))
        }
        Command::Org(OrgCommand::AddMember {
            org,
            email,
            developer,
            admin,
        }) => {
            orgs::add_member(
                state,
                &org,
                &email,
                None,
                MemberPermissions { admin, developer },
            )
            .await?;
            eprintln!("{email} is a member of {org}.");
            Ok(None)
        }
        Command::Org(OrgCommand::SetFlag(SetFlag { org, flag, on, .. })) => {
            let parsed = Flag::parse(&flag).ok_or_else(|| {
                let known: Vec<_> = Flag::ALL.iter().map(|f| f.key()).collect();
                format!("Unknown flag {flag:?}. Known flags: {}.", known.join(", "))
            })?;
            orgs::set_flag(state, &org, parsed, on).await?;
            eprintln!(
                "{} is {} for {org}.",
                parsed.label(),
                if on { "on" } else { "off" }
            );
            Ok(None)
        }
    }
}
