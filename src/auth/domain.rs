//! Account domain types.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

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

/// A new password: 10 to 128 characters. Never logged, never serialised.
pub struct Password(String);

pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 128;

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
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(Password::parse(&"x".repeat(10)).is_ok());
        assert!(Password::parse(&"x".repeat(128)).is_ok());
        assert!(Password::parse(&"x".repeat(129)).is_err());
    }
}
