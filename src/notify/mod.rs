//! Telling people before keys break: key events (expiring, expired,
//! leaked, revoked, rolled, retired, still called, created), mail over SMTP
//! or into the log, each person's choice of mail, and the Outbox.

#[cfg(feature = "ssr")]
pub mod data;
pub mod domain;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::web::forms::{finish, Then};
use domain::{MailSetting, OutboxMail};

/// The signed-in user's choice of mail.
#[server(input = Json)]
pub async fn get_mail_settings() -> Result<Vec<MailSetting>, AppError> {
    let user = crate::auth::session::require_user().await?;
    service::settings(&crate::auth::session::state()?, user.user_id).await
}

/// A plain form post from the Notifications page: a ticked box keeps that
/// kind of mail on. The leak mail has no box: it cannot be turned off.
#[server]
#[allow(clippy::too_many_arguments)]
pub async fn save_mail_settings(
    expiring: Option<String>,
    expired: Option<String>,
    revoked: Option<String>,
    rolled: Option<String>,
    retired: Option<String>,
    still_called: Option<String>,
    created: Option<String>,
) -> Result<(), AppError> {
    use domain::EventKind;
    finish(Then::Go("/account/notifications?saved=1"), async {
        let user = crate::auth::session::require_user().await?;
        let on: Vec<EventKind> = [
            (expiring, EventKind::Expiring),
            (expired, EventKind::Expired),
            (revoked, EventKind::Revoked),
            (rolled, EventKind::Rolled),
            (retired, EventKind::Retired),
            (still_called, EventKind::StillCalled),
            (created, EventKind::Created),
        ]
        .into_iter()
        .filter_map(|(ticked, kind)| ticked.map(|_| kind))
        .collect();
        service::save_settings(&crate::auth::session::state()?, user.user_id, &on)
            .await
            .map(|_| ())
    })
    .await
}

/// A page of the outbox, for platform admins.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OutboxPage {
    pub mails: Vec<OutboxMail>,
    /// The id to read older mail from.
    pub next: Option<i64>,
    /// Whether mail goes to an SMTP server, or only to the server log.
    pub smtp: bool,
}

pub const OUTBOX_PAGE: i64 = 50;

/// Platform admins: the outbox, newest first, with a status or all.
#[server(input = Json)]
pub async fn get_outbox(
    status: Option<String>,
    before: Option<i64>,
) -> Result<OutboxPage, AppError> {
    let (state, _) = crate::auth::session::guard_platform_admin().await?;
    let status = match status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => Some(
            domain::MailStatus::parse(raw)
                .ok_or_else(|| AppError::BadRequest(format!("There is no mail status {raw:?}.")))?,
        ),
    };
    let mut mails = service::outbox(&state, status, before, OUTBOX_PAGE + 1).await?;
    let next = crate::platform::db::next_cursor(&mut mails, OUTBOX_PAGE, |m| m.id);
    Ok(OutboxPage {
        mails,
        next,
        smtp: state.mail.delivers(),
    })
}

/// Platform admins: a failed mail, tried again on the scheduler's next round.
#[server]
pub async fn send_mail_again(id: i64) -> Result<(), AppError> {
    finish(Then::Back, async {
        let (state, _) = crate::auth::session::guard_platform_admin().await?;
        service::send_again(&state, id).await
    })
    .await
}
