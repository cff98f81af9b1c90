//! What people are told about their keys: the kinds of event, who hears of
//! each, when a failed mail is tried again, and the mail itself.

use serde::{Deserialize, Serialize};

/// The events a key goes through that someone should hear about. Their
/// names (`key.expiring`) are what the Account page, the Outbox and the
/// webhooks use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    /// 7 days before the key expires, and again 1 day before.
    Expiring,
    Expired,
    /// Revoked through a leak report.
    Leaked,
    Revoked,
    Rolled,
    /// A rolled key's grace period ended: it stopped working.
    Retired,
    /// A revoked or expired key still receives requests (once a day at most).
    StillCalled,
    Created,
}

impl EventKind {
    pub const ALL: [EventKind; 8] = [
        EventKind::Expiring,
        EventKind::Expired,
        EventKind::Leaked,
        EventKind::Revoked,
        EventKind::Rolled,
        EventKind::Retired,
        EventKind::StillCalled,
        EventKind::Created,
    ];

    pub fn key(self) -> &'static str {
        match self {
            EventKind::Expiring => "key.expiring",
            EventKind::Expired => "key.expired",
            EventKind::Leaked => "key.leaked",
            EventKind::Revoked => "key.revoked",
            EventKind::Rolled => "key.rolled",
            EventKind::Retired => "key.retired",
            EventKind::StillCalled => "key.still_called",
            EventKind::Created => "key.created",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.key() == raw)
    }

    /// What the Account page calls it.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::Expiring => "A key expires in 7 days, and again 1 day before",
            EventKind::Expired => "A key has expired",
            EventKind::Leaked => "A key was reported as leaked and revoked",
            EventKind::Revoked => "A key was revoked",
            EventKind::Rolled => "A key was rolled",
            EventKind::Retired => "A rolled key's grace period ended",
            EventKind::StillCalled => "A revoked or expired key is still being called",
            EventKind::Created => "A key was created",
        }
    }

    /// Everyone hears of a leak: it cannot be turned off.
    pub fn can_opt_out(self) -> bool {
        self != EventKind::Leaked
    }

    /// Besides the key's creator, the organisation's admins are told.
    pub fn tells_admins(self) -> bool {
        matches!(self, EventKind::Leaked | EventKind::StillCalled)
    }
}

/// A key event as the key's service tells of it.
pub struct KeyEvent<'a> {
    pub kind: EventKind,
    pub organisation_id: i64,
    pub key_id: i64,
    pub key_prefix: &'a str,
    pub key_name: &'a str,
    pub created_by: Option<i64>,
    pub expires_at: Option<i64>,
    /// For events time brings: the moment it is about (the expiry, the end
    /// of the grace period, the day), which makes it happen once.
    pub due_at: Option<i64>,
    pub requests: Option<i64>,
    pub replaced_by: Option<&'a str>,
}

/// One person's choice of mail, as the Account page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailSetting {
    pub kind: EventKind,
    pub on: bool,
}

/// A mail in the outbox, as the Outbox admin page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxMail {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub status: MailStatus,
    pub attempts: i64,
    pub next_attempt_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_error: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MailStatus {
    /// Waiting for its first or next attempt.
    Queued,
    /// Accepted by the SMTP server.
    Sent,
    /// No SMTP server is configured: written to the server log instead.
    Logged,
    /// Given up on; `last_error` says why.
    Failed,
}

impl MailStatus {
    pub const ALL: [MailStatus; 4] = [
        MailStatus::Queued,
        MailStatus::Sent,
        MailStatus::Logged,
        MailStatus::Failed,
    ];

    pub fn key(self) -> &'static str {
        match self {
            MailStatus::Queued => "queued",
            MailStatus::Sent => "sent",
            MailStatus::Logged => "logged",
            MailStatus::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            MailStatus::Queued => "Queued",
            MailStatus::Sent => "Sent",
            MailStatus::Logged => "Logged (no SMTP)",
            MailStatus::Failed => "Failed",
        }
    }
}

/// Attempts at one mail before it is given up on.
pub const MAIL_ATTEMPTS: i64 = 6;

/// How long after failed attempt `attempts` (1, 2, ...) the next is made:
/// 1 minute, then 5, 15, 60 and 180; about four and a half hours in all.
pub fn retry_after_ms(attempts: i64) -> i64 {
    const MINUTE: i64 = 60_000;
    match attempts {
        ..=1 => MINUTE,
        2 => 5 * MINUTE,
        3 => 15 * MINUTE,
        4 => 60 * MINUTE,
        _ => 180 * MINUTE,
    }
}

pub const DAY_MS: i64 = 24 * 3600 * 1000;

/// How far ahead of expiry the `key.expiring` mails go.
pub const EXPIRY_NOTICES: [i64; 2] = [7 * DAY_MS, DAY_MS];

/// A member of the key's organisation who may hear of an event: its
/// creator, or an admin.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub user_id: i64,
    pub email: String,
    pub is_admin: bool,
    /// Turned this kind of mail off on their Account page.
    pub opted_out: bool,
}

/// Who is mailed about an event: the key's creator, and the admins for a
/// leak or a key still called, or when the creator is no longer a member
/// (someone must hear of it). Each address once; those who turned the kind
/// off are left out, except for a leak.
pub fn recipients(kind: EventKind, created_by: Option<i64>, members: &[Member]) -> Vec<&str> {
    let creator = members.iter().find(|m| Some(m.user_id) == created_by);
    let wanted = |m: &&Member| !m.opted_out || !kind.can_opt_out();
    let mut to: Vec<&str> = creator
        .filter(wanted)
        .map(|m| m.email.as_str())
        .into_iter()
        .collect();
    if kind.tells_admins() || creator.is_none() {
        for admin in members.iter().filter(|m| m.is_admin).filter(wanted) {
            if !to.contains(&admin.email.as_str()) {
                to.push(&admin.email);
            }
        }
    }
    to
}

/// An event as the mail describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct EventFacts<'a> {
    pub kind: EventKind,
    pub organisation: &'a str,
    /// For links: the dashboard switches to the key's organisation.
    pub organisation_slug: &'a str,
    pub key_id: i64,
    pub key_prefix: &'a str,
    pub key_name: &'a str,
    /// When it happened (ms).
    pub occurred_at: i64,
    pub expires_at: Option<i64>,
    /// Requests the key received while it did not work (`key.still_called`).
    pub requests: Option<i64>,
    /// The key that replaced it (`key.rolled`).
    pub replaced_by: Option<String>,
}

/// A mail ready to queue: never the key itself, only its name and prefix.
#[derive(Debug, Clone, PartialEq)]
pub struct Mail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// "in 7 days", "within a day": whole days, rounded up, so that the notice
/// sent a minute after the 7-day mark still says 7.
#[cfg(feature = "ssr")]
fn time_left(from: i64, until: i64) -> String {
    match (until - from + DAY_MS - 1).div_euclid(DAY_MS) {
        ..=1 => "within a day".to_owned(),
        days => format!("in {days} days"),
    }
}

/// The mail for an event, with links under `base_url` (the address users
/// reach the dashboard at).
#[cfg(feature = "ssr")]
pub fn compose(event: &EventFacts<'_>, base_url: &str) -> Mail {
    let key = format!("\"{}\" ({}…)", event.key_name, event.key_prefix);
    let org = event.organisation_slug;
    let developer = format!("{base_url}/developer?org={org}");
    let usage = format!("{base_url}/developer/keys/{}", event.key_id);
    let roll = format!(
        "{base_url}/developer?org={org}&dialog=roll&id={}",
        event.key_id
    );
    let (subject, lines, action): (String, Vec<String>, (&str, String)) = match event.kind {
        EventKind::Expiring => {
            let left = event
                .expires_at
                .map_or_else(|| "soon".to_owned(), |at| time_left(event.occurred_at, at));
            (
                format!("API key {key} expires {left}"),
                vec![
                    format!("The API key {key} in {} expires {left}{}.", event.organisation, expiry_time(event.expires_at)),
                    "Whatever uses it will get 401 errors from then on. Roll it now: you get a new key with the same permissions, and the old one keeps working for the grace period you choose, so you can swap it in without downtime.".to_owned(),
                ],
                ("Roll the key", roll),
            )
        }
        EventKind::Expired => (
            format!("API key {key} has expired"),
            vec![
                format!("The API key {key} in {} expired{}.", event.organisation, expiry_time(event.expires_at)),
                "Requests with it get 401 errors. Create a new key on the Developer page and put it where the old one was.".to_owned(),
            ],
            ("Open the Developer page", developer),
        ),
        EventKind::Leaked => (
            format!("API key {key} was reported as leaked and revoked"),
            vec![
                format!("The API key {key} in {} was found in a public place and reported to us, so we revoked it at once.", event.organisation),
                "Requests with it get 401 errors. Create a new key, put it where the old one was, and check the audit log and the key's requests for use you do not recognise.".to_owned(),
            ],
            ("See the key's requests", usage),
        ),
        EventKind::Revoked => (
            format!("API key {key} was revoked"),
            vec![
                format!("The API key {key} in {} was revoked. Requests with it get 401 errors.", event.organisation),
                "The audit log says who revoked it. If that was a mistake, a platform admin can make it active again.".to_owned(),
            ],
            ("Open the Developer page", developer),
        ),
        EventKind::Rolled => (
            format!("API key {key} was rolled"),
            vec![
                format!(
                    "The API key {key} in {} was rolled{}.",
                    event.organisation,
                    event.replaced_by.as_deref().map(|p| format!(": its replacement is {p}…")).unwrap_or_default()
                ),
                "Put the new key where the old one was before the grace period ends.".to_owned(),
            ],
            ("Open the Developer page", developer),
        ),
        EventKind::Retired => (
            format!("API key {key} stopped working: its grace period ended"),
            vec![
                format!("The API key {key} in {} was rolled, and its grace period has ended: requests with it now get 401 errors.", event.organisation),
            ],
            ("See the key's requests", usage),
        ),
        EventKind::StillCalled => {
            let requests = event.requests.unwrap_or(0);
            let counted = if requests == 1 { "1 request".to_owned() } else { format!("{requests} requests") };
            (
                format!("API key {key} no longer works but is still being called"),
                vec![
                    format!("The API key {key} in {} is revoked or expired, and it received {counted} in the last hours, all refused.", event.organisation),
                    "Something still uses it: a script, an integration or a CI job. Its requests show where they come from.".to_owned(),
                ],
                ("See the key's requests", usage),
            )
        }
        EventKind::Created => (
            format!("API key {key} was created"),
            vec![format!("The API key {key} was created in {}. If that was not you or your team, revoke it.", event.organisation)],
            ("Open the Developer page", developer),
        ),
    };
    let footer = format!("You get this mail because of your role in {}. Turn kinds of mail off on your Account page: {base_url}/account/notifications", event.organisation);
    render(subject, &lines, action, &footer)
}

/// The mail to an organisation's admins when the server disabled one of
/// its webhook endpoints.
#[cfg(feature = "ssr")]
pub fn compose_endpoint_disabled(url: &str, base_url: &str) -> Mail {
    render(
        "A webhook endpoint was disabled: every delivery failed for 3 days".to_owned(),
        &[format!("The webhook endpoint {url} failed every delivery for 3 days, so Leadline disabled it and stopped retrying.")],
        (
            "Fix the receiver, then turn the endpoint on again and redeliver what it missed",
            format!("{base_url}/developer/webhooks"),
        ),
        "You get this mail because you are an admin of the organisation.",
    )
}

/// Plain text and its HTML alternative: the lines, the one link to act
/// on, and a footer, every piece escaped for HTML.
#[cfg(feature = "ssr")]
fn render(subject: String, lines: &[String], action: (&str, String), footer: &str) -> Mail {
    let text = format!(
        "{}\n\n{}: {}\n\n-- \n{footer}\n",
        lines.join("\n\n"),
        action.0,
        action.1
    );
    let escape = |s: &str| html_escape::encode_text(s).into_owned();
    let html = format!(
        "<!doctype html><html><body style=\"font-family: sans-serif; line-height: 1.5\">{}<p><a href=\"{}\">{}</a></p><hr><p style=\"color: #666; font-size: 0.9em\">{}</p></body></html>",
        lines
            .iter()
            .map(|l| format!("<p>{}</p>", escape(l)))
            .collect::<String>(),
        html_escape::encode_double_quoted_attribute(&action.1),
        escape(action.0),
        escape(footer),
    );
    Mail {
        subject,
        text,
        html,
    }
}

/// " (at 2026-12-10 14:00 UTC)", or nothing.
#[cfg(feature = "ssr")]
fn expiry_time(at: Option<i64>) -> String {
    at.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| format!(" (at {})", t.format("%Y-%m-%d %H:%M UTC")))
        .unwrap_or_default()
}

/// An organisation's webhook endpoint, as its page shows it (never its
/// secret, which is shown once when made or rolled).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    pub id: i64,
    pub url: String,
    pub description: String,
    pub kinds: Vec<EventKind>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// An endpoint just made, or its secret just rolled: the one time the
/// secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointSecret {
    pub endpoint: Endpoint,
    pub secret: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Given up on: retries over, or the endpoint disabled.
    Failed,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 3] = [
        DeliveryStatus::Pending,
        DeliveryStatus::Delivered,
        DeliveryStatus::Failed,
    ];

    pub fn key(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "Pending",
            DeliveryStatus::Delivered => "Delivered",
            DeliveryStatus::Failed => "Failed",
        }
    }
}

/// One message to one endpoint, as the delivery log lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: i64,
    pub message_id: String,
    pub kind: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: Option<chrono::DateTime<chrono::Utc>>,
    pub response_status: Option<i64>,
    pub latency_ms: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_attempt_at: Option<chrono::DateTime<chrono::Utc>>,
    pub payload: String,
}

/// When a failed delivery is tried again, after attempt `attempts` (1,
/// 2, ...): 5 seconds, 5 minutes, 30 minutes, 2, 5, 10 and 6 hours, about
/// 24 hours in all; then none, and it has failed.
pub fn webhook_retry_after_ms(attempts: i64) -> Option<i64> {
    const MINUTE: i64 = 60_000;
    const HOUR: i64 = 60 * MINUTE;
    match attempts {
        ..=1 => Some(5_000),
        2 => Some(5 * MINUTE),
        3 => Some(30 * MINUTE),
        4 => Some(2 * HOUR),
        5 => Some(5 * HOUR),
        6 => Some(10 * HOUR),
        7 => Some(6 * HOUR),
        _ => None,
    }
}

/// An endpoint that has failed every delivery for this long is disabled.
pub const FAILING_FOR_MS: i64 = 3 * DAY_MS;

/// Reads the kinds an endpoint receives; unknown names are dropped.
pub fn parse_kinds(stored: &str) -> Vec<EventKind> {
    stored
        .split(',')
        .filter_map(|k| EventKind::parse(k.trim()))
        .collect()
}

pub fn store_kinds(kinds: &[EventKind]) -> String {
    kinds.iter().map(|k| k.key()).collect::<Vec<_>>().join(",")
}

/// Most endpoints one organisation may have.
pub const ENDPOINTS_MAX: i64 = 20;
pub const DESCRIPTION_MAX: usize = 200;

#[cfg(feature = "ssr")]
mod signing {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    /// A new endpoint secret: `whsec_` and 32 random bytes in base64, as
    /// the Standard Webhooks libraries read it.
    pub fn new_secret() -> String {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        format!("whsec_{}", STANDARD.encode(bytes))
    }

    /// The `webhook-signature` header for a message (Standard Webhooks,
    /// "v1"): HMAC-SHA256 with the secret's bytes over
    /// `{webhook-id}.{webhook-timestamp}.{body}`, in base64.
    pub fn sign(secret: &str, message_id: &str, timestamp: i64, body: &str) -> String {
        let key = STANDARD
            .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
            .unwrap_or_else(|_| secret.as_bytes().to_vec());
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes a key of any length");
        mac.update(format!("{message_id}.{timestamp}.{body}").as_bytes());
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

#[cfg(feature = "ssr")]
pub use signing::{new_secret, sign};

/// The JSON body of a webhook message.
#[cfg(feature = "ssr")]
pub fn webhook_payload(
    event: &EventFacts<'_>,
    occurred_at: chrono::DateTime<chrono::Utc>,
) -> String {
    let at = |ms: Option<i64>| ms.and_then(chrono::DateTime::from_timestamp_millis);
    serde_json::json!({
        "type": event.kind.key(),
        "timestamp": occurred_at,
        "data": {
            "organisation": event.organisation_slug,
            "key": {
                "id": event.key_id,
                "prefix": event.key_prefix,
                "name": event.key_name,
                "expires_at": at(event.expires_at),
            },
            "requests": event.requests,
            "replaced_by": event.replaced_by,
        }
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(kind: EventKind) -> EventFacts<'static> {
        EventFacts {
            kind,
            organisation: "Acme",
            organisation_slug: "acme",
            key_id: 7,
            key_prefix: "sk_AbCd1234_Ab",
            key_name: "Zapier <sync>",
            occurred_at: 0,
            expires_at: Some(7 * DAY_MS),
            requests: Some(3),
            replaced_by: Some("sk_XyZw9876_Xy".into()),
        }
    }

    #[test]
    fn kinds_read_back_from_their_names() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.key()), Some(kind));
        }
        assert_eq!(EventKind::parse("key.unknown"), None);
        for status in MailStatus::ALL {
            assert_eq!(MailStatus::parse(status.key()), Some(status));
        }
    }

    #[test]
    fn only_the_leak_mail_cannot_be_turned_off_and_admins_hear_of_leaks_and_calls() {
        let fixed: Vec<_> = EventKind::ALL
            .into_iter()
            .filter(|k| !k.can_opt_out())
            .collect();
        assert_eq!(fixed, [EventKind::Leaked]);
        let admins: Vec<_> = EventKind::ALL
            .into_iter()
            .filter(|k| k.tells_admins())
            .collect();
        assert_eq!(admins, [EventKind::Leaked, EventKind::StillCalled]);
    }

    fn member(user_id: i64, is_admin: bool, opted_out: bool) -> Member {
        Member {
            user_id,
            email: format!("user{user_id}@acme.test"),
            is_admin,
            opted_out,
        }
    }

    #[test]
    fn the_creator_hears_and_admins_hear_of_leaks_calls_and_orphaned_keys() {
        let members = [
            member(1, false, false),
            member(2, true, false),
            member(3, true, true),
        ];
        assert_eq!(
            recipients(EventKind::Expiring, Some(1), &members),
            ["user1@acme.test"]
        );
        assert_eq!(
            recipients(EventKind::StillCalled, Some(1), &members),
            ["user1@acme.test", "user2@acme.test"],
            "an admin who turned it off is left out"
        );
        assert_eq!(
            recipients(EventKind::Leaked, Some(1), &members),
            ["user1@acme.test", "user2@acme.test", "user3@acme.test"],
            "nobody can turn the leak mail off"
        );
        assert_eq!(
            recipients(EventKind::Expiring, Some(9), &members),
            ["user2@acme.test"],
            "a creator who left: the admins hear of it"
        );
        assert_eq!(
            recipients(EventKind::Leaked, Some(2), &members),
            ["user2@acme.test", "user3@acme.test"],
            "an admin who created the key is mailed once"
        );
        let quiet = [member(1, false, true)];
        assert!(recipients(EventKind::Created, Some(1), &quiet).is_empty());
    }

    #[test]
    fn signatures_follow_the_standard_webhooks_example() {
        // The specification's example (standard-webhooks.com).
        let signature = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let secret = new_secret();
        assert!(
            secret.starts_with("whsec_") && secret.len() == 6 + 44,
            "{secret}"
        );
        assert_ne!(secret, new_secret());
    }

    #[test]
    fn webhook_retries_last_about_a_day() {
        let delays: Vec<i64> = (1..).map_while(webhook_retry_after_ms).collect();
        assert_eq!(delays.len(), 7, "eight attempts in all");
        let total: i64 = delays.iter().sum();
        assert!(
            (23 * 3_600_000..=24 * 3_600_000).contains(&total),
            "{total}"
        );
    }

    #[test]
    fn kinds_are_stored_by_name() {
        let kinds = [EventKind::Expiring, EventKind::Leaked];
        assert_eq!(store_kinds(&kinds), "key.expiring,key.leaked");
        assert_eq!(parse_kinds("key.expiring, key.leaked,key.gone"), kinds);
    }

    #[test]
    fn retries_back_off_and_end() {
        let delays: Vec<i64> = (1..MAIL_ATTEMPTS).map(retry_after_ms).collect();
        assert!(delays.windows(2).all(|w| w[0] < w[1]), "{delays:?}");
        assert_eq!(delays.iter().sum::<i64>(), (1 + 5 + 15 + 60 + 180) * 60_000);
    }

    #[test]
    fn the_expiry_mail_names_the_key_and_links_to_its_roll_dialog() {
        let mail = compose(&facts(EventKind::Expiring), "https://crm.example.com");
        assert_eq!(
            mail.subject,
            "API key \"Zapier <sync>\" (sk_AbCd1234_Ab…) expires in 7 days"
        );
        assert!(mail
            .text
            .contains("https://crm.example.com/developer?org=acme&dialog=roll&id=7"));
        assert!(mail.html.contains(
            "href=\"https://crm.example.com/developer?org=acme&amp;dialog=roll&amp;id=7\""
        ));
        assert!(
            mail.html.contains("Zapier &lt;sync&gt;"),
            "escaped: {}",
            mail.html
        );
        assert!(!mail.html.contains("<sync>"));
        let tomorrow = EventFacts {
            occurred_at: 6 * DAY_MS + 1,
            ..facts(EventKind::Expiring)
        };
        assert!(compose(&tomorrow, "")
            .subject
            .ends_with("expires within a day"));
    }

    #[test]
    fn the_disabled_endpoint_mail_escapes_the_url_and_links_to_the_webhooks() {
        let mail = compose_endpoint_disabled("https://x.test/<hook>", "https://crm.example.com");
        assert!(mail.subject.contains("3 days"));
        assert!(mail
            .text
            .contains("https://crm.example.com/developer/webhooks"));
        assert!(
            mail.html.contains("https://x.test/&lt;hook&gt;"),
            "{}",
            mail.html
        );
        assert!(!mail.html.contains("<hook>"));
    }

    #[test]
    fn every_mail_has_a_subject_a_link_and_the_way_to_turn_it_off() {
        for kind in EventKind::ALL {
            let mail = compose(&facts(kind), "https://crm.example.com");
            assert!(mail.subject.contains("sk_AbCd1234_Ab"), "{kind:?}");
            assert!(mail.text.contains("https://crm.example.com/"), "{kind:?}");
            assert!(mail.text.contains("/account/notifications"), "{kind:?}");
            assert!(mail.html.starts_with("<!doctype html>"), "{kind:?}");
        }
        let called = compose(&facts(EventKind::StillCalled), "");
        assert!(called.text.contains("3 requests"));
    }
}
