//! Organisation operations shared by the CLI, the admin console and the
//! members page, so both paths validate the same way.

use super::data;
use super::domain::{Flag, MemberPermissions, OrgName, OrgSlug};
use crate::auth::{accounts, data as users, domain::Email};
use crate::error::{AppError, FieldError};
use crate::server::AppState;

pub async fn create_organisation(state: &AppState, name: &str) -> Result<OrgSlug, AppError> {
    let name = OrgName::parse(name).map_err(|e| AppError::Validation(vec![e]))?;
    let base = OrgSlug::from_name(&name).map_err(|e| AppError::Validation(vec![e]))?;
    let now = state.clock.now().timestamp_millis();
    // Names may repeat; slugs may not: "acme", then "acme-2", "acme-3"...
    for n in 1..100 {
        let candidate = if n == 1 {
            base.as_str().to_owned()
        } else {
            format!("{}-{n}", base.as_str().chars().take(36).collect::<String>())
        };
        let slug = OrgSlug::parse(&candidate).map_err(|e| AppError::Validation(vec![e]))?;
        if data::find_organisation(&state.db, slug.as_str())
            .await?
            .is_none()
        {
            data::insert_organisation(&state.db, slug.as_str(), name.as_str(), now).await?;
            tracing::info!(slug = slug.as_str(), "organisation created");
            return Ok(slug);
        }
    }
    Err(AppError::Conflict(
        "Too many organisations with this name.".into(),
    ))
}

async fn organisation(state: &AppState, slug: &str) -> Result<data::OrganisationRow, AppError> {
    data::find_organisation(&state.db, slug.trim())
        .await?
        .ok_or_else(|| {
            AppError::validation(
                "org",
                format!("No organisation with slug {:?}.", slug.trim()),
            )
        })
}

pub async fn set_flag(state: &AppState, slug: &str, flag: Flag, on: bool) -> Result<(), AppError> {
    let org = organisation(state, slug).await?;
    data::set_flag(
        &state.db,
        org.id,
        flag,
        on,
        state.clock.now().timestamp_millis(),
    )
    .await?;
    // Keys of this organisation must feel the flag on the next request.
    state.credentials.invalidate();
    tracing::info!(org = slug, flag = flag.key(), on, "feature flag changed");
    Ok(())
}

/// Adds a member; creates the account when `new_password` is given and the
/// email is unknown.
pub async fn add_member(
    state: &AppState,
    slug: &str,
    email: &str,
    new_password: Option<&str>,
    permissions: MemberPermissions,
) -> Result<(), AppError> {
    let org = organisation(state, slug).await?;
    let email = Email::parse(email).map_err(|e| AppError::Validation(vec![e]))?;
    let now = state.clock.now().timestamp_millis();
    let user_id = match users::find_user_by_email(&state.db, email.as_str()).await? {
        Some(user) => user.id,
        None => match new_password {
            Some(password) => {
                accounts::create_user(&state.db, email.as_str(), password, false, now).await?
            }
            None => {
                return Err(AppError::Validation(vec![FieldError::new(
                    "email",
                    format!("No user with email {}.", email.as_str()),
                )]))
            }
        },
    };
    data::upsert_membership(&state.db, user_id, org.id, permissions, now).await?;
    Ok(())
}

pub async fn set_permissions(
    state: &AppState,
    organisation_id: i64,
    email: &str,
    permissions: MemberPermissions,
) -> Result<(), AppError> {
    let email = Email::parse(email).map_err(|e| AppError::Validation(vec![e]))?;
    let user = users::find_user_by_email(&state.db, email.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    if data::update_membership(&state.db, user.id, organisation_id, permissions).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}
