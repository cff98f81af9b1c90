//! Password hashing with argon2id.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

use super::domain::Password;
use crate::error::AppError;

pub fn hash(password: &Password) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| AppError::Internal)
}

pub fn verify(candidate: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(candidate.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Verifies against a throwaway hash so that an unknown email takes as long
/// as a wrong password.
pub fn verify_nothing(candidate: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let stored = DUMMY.get_or_init(|| {
        hash(&Password::parse("not-a-real-password").expect("valid")).unwrap_or_default()
    });
    let _ = verify(candidate, stored);
}

/// Argon2 runs on the blocking pool, at most one hash per core at a time, so
/// a burst of sign-ins queues instead of exhausting threads and memory.
fn argon2_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        tokio::sync::Semaphore::new(cores)
    })
}

async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let _permit = argon2_permits()
        .acquire()
        .await
        .map_err(|_| AppError::Internal)?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| AppError::Internal)
}

/// `hash`, off the async threads and within the Argon2 concurrency cap.
pub async fn hash_async(password: Password) -> Result<String, AppError> {
    off_thread(move || hash(&password)).await?
}

/// Checks `candidate` against a stored hash, off the async threads and within
/// the cap. An unknown account (`None`) costs the same as a wrong password.
pub async fn verify_async(stored: Option<String>, candidate: &str) -> Result<bool, AppError> {
    let candidate = candidate.to_owned();
    off_thread(move || match stored {
        Some(stored) => verify(&candidate, &stored),
        None => {
            verify_nothing(&candidate);
            false
        }
    })
    .await
}
