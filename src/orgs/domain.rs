//! Organisation domain types: slugs, names, member permissions, feature flags.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// URL-safe organisation identifier: 2 to 40 of a-z, 0-9 and inner hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSlug(String);

impl OrgSlug {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let slug = raw.trim();
        let ok = (2..=40).contains(&slug.len())
            && slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !slug.starts_with('-')
            && !slug.ends_with('-');
        if ok {
            Ok(Self(slug.to_owned()))
        } else {
            Err(FieldError::new(
                "slug",
                "Slug must be 2 to 40 lower-case letters, digits or inner hyphens.",
            ))
        }
    }

    /// Derives a slug from a display name: "Acme Ltd." becomes "acme-ltd".
    pub fn from_name(name: &OrgName) -> Result<Self, FieldError> {
        let mut slug = String::new();
        for c in name.as_str().chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
        }
        let slug: String = slug.trim_end_matches('-').chars().take(40).collect();
        Self::parse(slug.trim_end_matches('-'))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgName(String);

impl OrgName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let name = raw.trim();
        let count = name.chars().count();
        let hidden = |c: char| c.is_control() || crate::platform::text::is_invisible_format(c);
        if count == 0 || count > 100 || name.chars().any(hidden) {
            return Err(FieldError::new(
                "name",
                "Organisation name must be 1 to 100 characters.",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Per-organisation feature flags. Only platform admins change them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Flag {
    DeveloperApi,
}

impl Flag {
    pub const ALL: [Flag; 1] = [Flag::DeveloperApi];

    pub fn key(self) -> &'static str {
        match self {
            Self::DeveloperApi => "developer-api",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::DeveloperApi => "Developer API",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.key() == raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_accept_lower_case_letters_digits_and_inner_hyphens() {
        assert!(OrgSlug::parse("acme").is_ok());
        assert!(OrgSlug::parse("acme-2").is_ok());
        for bad in [
            "",
            "a",
            "Acme",
            "acme_",
            "-acme",
            "acme-",
            "ac me",
            &"a".repeat(41),
        ] {
            assert!(OrgSlug::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn slugs_derive_from_names() {
        let name = OrgName::parse("  Acme Ltd. & Co ").unwrap();
        assert_eq!(OrgSlug::from_name(&name).unwrap().as_str(), "acme-ltd-co");
        assert!(OrgSlug::from_name(&OrgName::parse("!!").unwrap()).is_err());
    }

    #[test]
    fn names_are_1_to_100_characters() {
        assert!(OrgName::parse("").is_err());
        assert!(OrgName::parse(&"x".repeat(101)).is_err());
        assert_eq!(OrgName::parse(" Acme ").unwrap().as_str(), "Acme");
    }

    #[test]
    fn flags_parse_from_their_cli_key() {
        assert_eq!(Flag::parse("developer-api"), Some(Flag::DeveloperApi));
        assert_eq!(Flag::parse("developer_api"), None);
    }
}

#[cfg(test)]
mod name_tests {
    use super::OrgName;

    #[test]
    fn organisation_names_refuse_invisible_formatting_characters() {
        assert!(OrgName::parse("Acme\u{202E}").is_err());
        assert!(OrgName::parse("Acme\u{200B}Corp").is_err());
        assert!(OrgName::parse("Acme Ltd.").is_ok());
    }
}

#[cfg(test)]
mod permission_tests {}
