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

// Webhooks: org admins only.

use domain::{Delivery, Endpoint, EndpointSecret};

#[cfg(feature = "ssr")]
impl crate::web::flash::ShownOnce for EndpointSecret {
    const KIND: &'static str = "webhook_secret";
}

#[cfg(feature = "ssr")]
async fn org_admin() -> Result<crate::auth::session::Granted, AppError> {
    crate::auth::session::guard(crate::auth::session::Need::OrgAdmin).await
}

/// The secret a plain form post made, for the page that shows it once.
#[cfg(feature = "ssr")]
fn reveal(made: &mut EndpointSecret) -> Option<crate::web::flash::Flash> {
    let shown = EndpointSecret {
        endpoint: made.endpoint.clone(),
        secret: std::mem::take(&mut made.secret),
    };
    crate::web::flash::Flash::show(&shown)
}

/// The event kinds a form ticked (`events[key.expiring]=on`, ...).
#[cfg(feature = "ssr")]
fn ticked(events: &std::collections::BTreeMap<String, String>) -> Vec<domain::EventKind> {
    domain::EventKind::ALL
        .into_iter()
        .filter(|kind| events.contains_key(kind.key()))
        .collect()
}

#[server(input = Json)]
pub async fn list_webhooks() -> Result<Vec<Endpoint>, AppError> {
    let granted = org_admin().await?;
    service::endpoints(&granted.state, &granted.org).await
}

/// "Add endpoint": a plain form post; the signing secret goes to the page
/// once, as a flash.
#[server]
pub async fn create_webhook(
    url: String,
    #[server(default)] description: String,
    #[server(default)] events: std::collections::BTreeMap<String, String>,
) -> Result<EndpointSecret, AppError> {
    crate::web::forms::finish_showing(
        Then::Back,
        async {
            let granted = org_admin().await?;
            let kinds = ticked(&events);
            let form = service::EndpointForm {
                url: &url,
                description: &description,
                kinds: &kinds,
            };
            service::create_endpoint(&granted.state, &granted.org, form).await
        },
        reveal,
    )
    .await
}

#[server]
pub async fn update_webhook(
    id: i64,
    url: String,
    #[server(default)] description: String,
    #[server(default)] events: std::collections::BTreeMap<String, String>,
    #[server(default)] enabled: Option<String>,
) -> Result<(), AppError> {
    finish(Then::Back, async {
        let granted = org_admin().await?;
        let kinds = ticked(&events);
        let form = service::EndpointForm {
            url: &url,
            description: &description,
            kinds: &kinds,
        };
        service::update_endpoint(&granted.state, &granted.org, id, form, enabled.is_some())
            .await
            .map(|_| ())
    })
    .await
}

#[server]
pub async fn delete_webhook(id: i64) -> Result<(), AppError> {
    finish(Then::Go("/developer/webhooks"), async {
        let granted = org_admin().await?;
        service::delete_endpoint(&granted.state, &granted.org, id).await
    })
    .await
}

#[server]
pub async fn roll_webhook_secret(id: i64) -> Result<EndpointSecret, AppError> {
    crate::web::forms::finish_showing(
        Then::Back,
        async {
            let granted = org_admin().await?;
            service::roll_secret(&granted.state, &granted.org, id).await
        },
        reveal,
    )
    .await
}

/// An endpoint's delivery log, newest first.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DeliveryLog {
    pub endpoint: Endpoint,
    pub deliveries: Vec<Delivery>,
    pub next: Option<i64>,
}

#[server(input = Json)]
pub async fn get_deliveries(id: i64, before: Option<i64>) -> Result<DeliveryLog, AppError> {
    let granted = org_admin().await?;
    let (endpoint, deliveries, next) =
        service::deliveries(&granted.state, &granted.org, id, before).await?;
    Ok(DeliveryLog {
        endpoint,
        deliveries,
        next,
    })
}

#[server]
pub async fn redeliver(endpoint: i64, id: i64) -> Result<(), AppError> {
    finish(Then::Back, async {
        let granted = org_admin().await?;
        service::redeliver(&granted.state, &granted.org, endpoint, id).await
    })
    .await
}
