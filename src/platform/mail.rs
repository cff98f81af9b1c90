//! Outgoing mail: over SMTP with lettre when `LEADLINE_SMTP_URL` is set
//! (plain, STARTTLS or TLS, with or without authentication), else into the
//! server log, so that no mail is silently lost on a server without one.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    Log {
        from: Mailbox,
    },
}

/// One mail: plain text with an HTML alternative.
pub struct Outgoing<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    /// The SMTP server accepted it.
    Sent,
    /// Written to the server log: no SMTP server is configured.
    Logged,
}

/// Why a mail did not go; `permanent` when trying again cannot help (the
/// server refused the address, or the address is not one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotSent {
    pub permanent: bool,
    pub reason: String,
}

/// How long one conversation with the SMTP server may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

impl Mailer {
    /// From `LEADLINE_SMTP_URL` (none: the log) and `LEADLINE_MAIL_FROM`;
    /// a clear message when either cannot be understood.
    pub fn new(smtp_url: Option<&str>, from: &str) -> Result<Self, String> {
        let from: Mailbox = from.parse().map_err(|e| {
            format!("LEADLINE_MAIL_FROM must be an address such as \"Leadline <leadline@example.com>\", not {from:?} ({e})")
        })?;
        let Some(url) = smtp_url else {
            return Ok(Mailer::Log { from });
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| {
                format!(
                    "LEADLINE_SMTP_URL must be smtp://host:25, smtp://user:password@host:587?tls=required \
                     (STARTTLS) or smtps://user:password@host:465 (TLS): {e}"
                )
            })?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Mailer::Smtp { transport, from })
    }

    /// Whether mail goes to an SMTP server (or only to the log).
    pub fn delivers(&self) -> bool {
        matches!(self, Mailer::Smtp { .. })
    }

    pub async fn send(&self, mail: Outgoing<'_>) -> Result<Delivered, NotSent> {
        let permanent = |reason: String| NotSent {
            permanent: true,
            reason,
        };
        let from = match self {
            Mailer::Smtp { from, .. } | Mailer::Log { from } => from.clone(),
        };
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| permanent(format!("{:?} is not a mail address: {e}", mail.to)))?;
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(mail.subject)
            .multipart(MultiPart::alternative_plain_html(
                mail.text.to_owned(),
                mail.html.to_owned(),
            ))
            .map_err(|e| permanent(format!("the mail could not be built: {e}")))?;
        match self {
            Mailer::Smtp { transport, .. } => match transport.send(message).await {
                Ok(_) => Ok(Delivered::Sent),
                Err(e) => Err(NotSent {
                    permanent: e.is_permanent(),
                    reason: e.to_string(),
                }),
            },
            Mailer::Log { .. } => {
                tracing::info!(
                    to = mail.to,
                    subject = mail.subject,
                    body = mail.text,
                    "mail not sent: no SMTP server is configured (LEADLINE_SMTP_URL); it is on the Outbox page"
                );
                Ok(Delivered::Logged)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_that_cannot_be_understood_are_named() {
        assert!(Mailer::new(None, "Leadline <leadline@example.com>").is_ok());
        let from = Mailer::new(None, "not an address").err().unwrap();
        assert!(from.contains("LEADLINE_MAIL_FROM"), "{from}");
        let url = Mailer::new(Some("http://smtp.example.com"), "leadline@example.com")
            .err()
            .unwrap();
        assert!(url.contains("LEADLINE_SMTP_URL"), "{url}");
        let mailer = Mailer::new(
            Some("smtps://user:secret@smtp.example.com:465"),
            "leadline@example.com",
        )
        .unwrap();
        assert!(mailer.delivers());
    }

    #[tokio::test]
    async fn a_bad_recipient_is_a_permanent_failure() {
        let mailer = Mailer::new(None, "leadline@example.com").unwrap();
        let mail = |to| Outgoing {
            to,
            subject: "s",
            text: "t",
            html: "<p>t</p>",
        };
        let refused = mailer.send(mail("nobody")).await.unwrap_err();
        assert!(refused.permanent, "{refused:?}");
        assert_eq!(
            mailer.send(mail("dev@acme.test")).await,
            Ok(Delivered::Logged)
        );
    }
}
