//! Creating accounts: shared by the CLI, the admin pages and the demo seed.

use super::{
    data,
    domain::{Email, Password},
    password,
};
use crate::error::{AppError, FieldError};
use crate::server::Db;

pub async fn create_user(
    db: &Db,
    email: &str,
    new_password: &str,
    is_platform_admin: bool,
    now: i64,
) -> Result<i64, AppError> {
    let email = Email::parse(email);
    let new_password = Password::parse(new_password);
    let (email, new_password) = match (email, new_password) {
        (Ok(e), Ok(p)) => (e, p),
        (e, p) => {
            return Err(AppError::Validation(
                [e.err(), p.err()].into_iter().flatten().collect(),
            ))
        }
    };
    if data::find_user_by_email(db, email.as_str())
        .await?
        .is_some()
    {
        return Err(AppError::Validation(vec![FieldError::new(
            "email",
            format!("A user with email {} already exists.", email.as_str()),
        )]));
    }
    let hash = password::hash_async(new_password).await?;
    Ok(data::insert_user(db, email.as_str(), &hash, is_platform_admin, now).await?)
}
