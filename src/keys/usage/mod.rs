//! Key usage: requests per key, hour and outcome; the key's usage page, the
//! Developer page's overview and the "Still called" and "Unused" flags.

#[cfg(feature = "ssr")]
pub mod chart;
#[cfg(feature = "ssr")]
pub mod data;
pub mod domain;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod recorder;
#[cfg(feature = "ssr")]
pub mod service;

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use domain::KeyUsage;

/// One key's usage page. Needs the Developer permission, like the keys list.
#[server(input = Json)]
pub async fn get_key_usage(id: i64) -> Result<KeyUsage, AppError> {
    let granted = crate::auth::session::guard(crate::auth::session::Need::Developer).await?;
    service::key_usage(&super::KeyState::current()?, &granted.org, id).await
}
