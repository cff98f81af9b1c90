//! Account domain types.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::platform::text::{PASSWORD_MAX, PASSWORD_MIN};

/// What a member may do in one organisation. A form leaves an unticked box
/// out, hence the defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemberPermissions {
    /// Manage members and their permissions.
    pub admin: bool,
    /// Use the Developer area: API keys and the docs playground.
    pub developer: bool,
}

impl MemberPermissions {
    /// "member", "Developer", "Admin and Developer"...: for lists and the
    /// audit log.
    pub fn describe(self) -> &'static str {
        match (self.admin, self.developer) {
            (true, true) => "Admin and Developer",
            (true, false) => "Admin",
            (false, true) => "Developer",
            (false, false) => "member",
        }
    }
}

/// A lower-cased email address of plausible shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let email = raw.trim();
        let invalid = || {
            FieldError::new(
                "email",
                "Enter a valid email address, like name@example.com.",
            )
        };
        // Lengths in characters, as the API schema's maxLength counts them.
        if email.chars().count() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(invalid());
        }
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        if local.is_empty() || local.chars().count() > 64 || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(email.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 10 to 128 characters, and (on the server) not easy to
/// guess. Never logged, never serialised.
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let count = raw.chars().count();
        if count < PASSWORD_MIN {
            return Err(FieldError::new(
                "password",
                format!("Password must be at least {PASSWORD_MIN} characters."),
            ));
        }
        if count > PASSWORD_MAX {
            return Err(FieldError::new(
                "password",
                format!("Password must be at most {PASSWORD_MAX} characters."),
            ));
        }
        #[cfg(feature = "ssr")]
        if let Some(why) = too_guessable(raw) {
            return Err(FieldError::new("password", why));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Why a password is too easy to guess, if it is: zxcvbn's estimate below
/// 10^10 guesses (score 3), which catches common and breached-list
/// passwords, keyboard walks, dates and words with predictable
/// substitutions, and says which in its warning.
#[cfg(feature = "ssr")]
fn too_guessable(raw: &str) -> Option<String> {
    // The estimate's cost grows with length (tens of milliseconds at 128
    // characters): its first 64 characters decide.
    let head: String = raw.chars().take(64).collect();
    let estimate = zxcvbn::zxcvbn(&head, &["leadline"]);
    if u8::from(estimate.score()) >= 3 {
        return None;
    }
    let warning = estimate
        .feedback()
        .and_then(|f| f.warning())
        .map(|w| format!(" {w}"))
        .unwrap_or_default();
    Some(format!(
        "This password is too easy to guess.{warning} Use a few uncommon words, or a password manager."
    ))
}

/// Where an organisation switch may go on to: a Developer page address,
/// and nothing that could leave the site (`//host`, `/\\host`).
pub fn after_switch(next: &str) -> Option<String> {
    let ours = (next == "/developer"
        || next.starts_with("/developer?")
        || next.starts_with("/developer/"))
        && !next.contains(['\\', '\r', '\n']);
    ours.then(|| next.to_owned())
}

#[cfg(test)]
mod tests {
    use super::after_switch;

    #[test]
    fn a_switch_goes_on_only_to_a_developer_page() {
        assert_eq!(
            after_switch("/developer?dialog=roll&id=7").as_deref(),
            Some("/developer?dialog=roll&id=7")
        );
        assert_eq!(after_switch("/developer").as_deref(), Some("/developer"));
        for elsewhere in [
            "",
            "/leads",
            "//evil.test/developer",
            "https://evil.test",
            "/developerx",
            "/developer/\\evil",
        ] {
            assert_eq!(after_switch(elsewhere), None, "{elsewhere}");
        }
    }

    #[test]
    fn permissions_are_described_in_the_products_words() {
        let p = |admin, developer| MemberPermissions { admin, developer }.describe();
        assert_eq!(p(true, true), "Admin and Developer");
        assert_eq!(p(false, true), "Developer");
        assert_eq!(p(true, false), "Admin");
        assert_eq!(p(false, false), "member");
    }

    use super::*;

    #[cfg(feature = "ssr")]
    #[test]
    fn common_and_predictable_passwords_are_refused_and_say_why() {
        for weak in [
            "password123",
            "qwertyuiop",
            "1234567890",
            "leadline2026",
            "iloveyou12",
        ] {
            let err = Password::parse(weak)
                .err()
                .unwrap_or_else(|| panic!("{weak} was accepted"));
            assert!(
                err.message
                    .starts_with("This password is too easy to guess."),
                "{weak}: {}",
                err.message
            );
        }
        for strong in [
            "correct horse battery",
            "a fresh password 9",
            "vN7#qLx2!pTz",
        ] {
            assert!(Password::parse(strong).is_ok(), "{strong} was refused");
        }
    }

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
    }

    #[test]
    fn malformed_emails_are_rejected() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@@example.com",
            "a da@example.com",
            "ada@.example.com",
            "ada@example..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_need_10_to_128_characters() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(9)).is_err());
        // Long enough, and varied enough not to be refused as guessable.
        let varied = |n: usize| "kX7#qPz2!mR".chars().cycle().take(n).collect::<String>();
        assert!(Password::parse(&varied(10)).is_ok());
        assert!(Password::parse(&varied(128)).is_ok());
        assert!(Password::parse(&varied(129)).is_err());
    }
}
