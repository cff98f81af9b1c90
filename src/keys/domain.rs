//! API-key domain types, shared by the server, the browser and the tests.
//! Holding one of these means it has been parsed and is valid.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use unicode_segmentation::UnicodeSegmentation;

use crate::error::{AppError, FieldError};

/// `sk_` + 8 base62 + `_` + 32 base62: 44 characters.
pub const KEY_LEN: usize = 3 + ID_LEN + 1 + SECRET_LEN;
/// The part of a key shown in the list, the audit log and error messages.
pub const PREFIX_LEN: usize = 14;
const ID_LEN: usize = 8;
const SECRET_LEN: usize = 32;
pub const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn is_base62(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A full API key. Its Debug and Display never show the secret part.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an API key: expected sk_ + 8 characters + _ + 32 characters")]
pub struct MalformedKey;

impl ApiKey {
    /// Checks the shape only, so garbage never reaches the database.
    pub fn parse(raw: &str) -> Result<Self, MalformedKey> {
        let ok = raw.len() == KEY_LEN
            && raw.starts_with("sk_")
            && raw.as_bytes()[3 + ID_LEN] == b'_'
            && is_base62(&raw[3..3 + ID_LEN])
            && is_base62(&raw[4 + ID_LEN..]);
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(MalformedKey)
        }
    }

    /// A new key: 40 base62 characters from the OS CSPRNG (about 238 bits).
    #[cfg(feature = "ssr")]
    pub fn generate() -> Self {
        use rand::{rngs::OsRng, Rng};
        let draw = |n: usize| -> String {
            (0..n)
                .map(|_| BASE62[OsRng.gen_range(0..BASE62.len())] as char)
                .collect()
        };
        let id = draw(ID_LEN);
        let secret = draw(SECRET_LEN);
        Self(format!("sk_{id}_{secret}"))
    }

    pub fn prefix(&self) -> KeyPrefix {
        KeyPrefix(self.0[..PREFIX_LEN].to_owned())
    }

    pub fn hash(&self) -> KeyHash {
        KeyHash::of(&self.0)
    }

    /// The plaintext, for the one time it is shown to its creator.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({}…)", self.prefix())
    }
}

/// The first 14 characters of a key: safe to display, useless to authenticate.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeyPrefix(String);

impl KeyPrefix {
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = raw.len() == PREFIX_LEN
            && raw.starts_with("sk_")
            && raw.as_bytes()[3 + ID_LEN] == b'_'
            && is_base62(&raw[3..3 + ID_LEN])
            && is_base62(&raw[4 + ID_LEN..]);
        ok.then(|| Self(raw.to_owned()))
    }

    /// What an error message (and the log) may echo of an untrusted token:
    /// at most its first 14 characters, printable ASCII only, and only when
    /// it looks like one of ours. A third party's secret sent here by mistake
    /// (`ghp_…`, `xoxb-…`) is never repeated.
    pub fn echo_untrusted(raw: &str) -> String {
        if !raw.starts_with("sk_") {
            return String::new();
        }
        raw.chars()
            .take(PREFIX_LEN)
            .map(|c| if c.is_ascii_graphic() { c } else { '?' })
            .collect()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// SHA-256 of the whole key, hex-encoded. The only form of the secret we keep.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct KeyHash(String);

impl KeyHash {
    pub fn of(raw: &str) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let digest = Sha256::digest(raw.as_bytes());
        let mut hex = String::with_capacity(64);
        for byte in digest {
            hex.push(HEX[usize::from(byte >> 4)] as char);
            hex.push(HEX[usize::from(byte & 0x0f)] as char);
        }
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyHash(…)")
    }
}

/// A key's label: 1 to 100 characters as a person counts them (grapheme
/// clusters), after trimming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyName(String);

pub const KEY_NAME_MAX: usize = 100;
/// 100 graphemes may be far more bytes (combining marks stack without
/// limit); this bounds what one name can weigh.
const KEY_NAME_MAX_BYTES: usize = 1000;

/// Zero-width and bidirectional formatting characters (Unicode category Cf
/// that matter here): they can make a name in the audit log read as another.
/// The joiners (U+200C, U+200D) stay: emoji and some scripts need them.
pub fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}'
        | '\u{200B}' | '\u{200E}' | '\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206F}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}')
}
/// The name the docs playground gives the keys it makes.
pub const PLAYGROUND_KEY_NAME: &str = "Docs playground (temp)";

impl KeyName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let name = raw.trim();
        let count = name.graphemes(true).count();
        if count == 0 {
            return Err(FieldError::new("name", "Key name is required."));
        }
        if count > KEY_NAME_MAX {
            return Err(FieldError::new(
                "name",
                format!("Key name must be at most {KEY_NAME_MAX} characters (it has {count})."),
            ));
        }
        if name.len() > KEY_NAME_MAX_BYTES {
            return Err(FieldError::new(
                "name",
                format!("Key name must be at most {KEY_NAME_MAX} characters."),
            ));
        }
        if name
            .chars()
            .any(|c| c.is_control() || is_invisible_format(c))
        {
            return Err(FieldError::new(
                "name",
                "Key name cannot contain control or invisible formatting characters.",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a key may do with the organisation's leads. A permission left out
/// (an unticked box in a form post) is not granted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Permissions {
    pub read: bool,
    pub create: bool,
    pub update: bool,
    pub delete: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Read,
    Create,
    Update,
    Delete,
}

impl Permission {
    pub const ALL: [Permission; 4] = [Self::Read, Self::Create, Self::Update, Self::Delete];

    /// The OAuth-style scope named in 403 responses.
    pub fn scope(self) -> &'static str {
        match self {
            Self::Read => "leads:read",
            Self::Create => "leads:create",
            Self::Update => "leads:update",
            Self::Delete => "leads:delete",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }
}

impl Permissions {
    pub const LEADS_CRUD: Self = Self {
        read: true,
        create: true,
        update: true,
        delete: true,
    };

    pub fn allows(&self, permission: Permission) -> bool {
        match permission {
            Permission::Read => self.read,
            Permission::Create => self.create,
            Permission::Update => self.update,
            Permission::Delete => self.delete,
        }
    }

    pub fn set(&mut self, permission: Permission, on: bool) {
        match permission {
            Permission::Read => self.read = on,
            Permission::Create => self.create = on,
            Permission::Update => self.update = on,
            Permission::Delete => self.delete = on,
        }
    }

    /// "Leads: read, create" or "None".
    pub fn describe(&self) -> String {
        let granted: Vec<&str> = Permission::ALL
            .iter()
            .filter(|p| self.allows(**p))
            .map(|p| p.label())
            .collect();
        if granted.is_empty() {
            "None".to_owned()
        } else {
            format!("Leads: {}", granted.join(", "))
        }
    }
}

/// When a key stops working. Set once, at creation; never changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expiry(Option<DateTime<Utc>>);

impl Expiry {
    pub const NEVER: Self = Self(None);

    pub fn at(when: DateTime<Utc>) -> Self {
        Self(Some(when))
    }

    /// Parses the form's value (UTC): empty for none, `YYYY-MM-DD` (the key
    /// works through that whole day) or `YYYY-MM-DDTHH:MM`. It must be later
    /// than `now`.
    pub fn parse(raw: &str, now: DateTime<Utc>) -> Result<Self, FieldError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(Self::NEVER);
        }
        let when = if let Ok(date) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            date.and_time(NaiveTime::from_hms_opt(23, 59, 59).expect("valid time"))
        } else if let Ok(dt) = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M") {
            dt
        } else if let Ok(dt) = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S") {
            dt
        } else {
            return Err(FieldError::new(
                "expires_at",
                "Expiry must be a date (YYYY-MM-DD) or a date and time.",
            ));
        };
        let when = when.and_utc();
        if when <= now {
            return Err(FieldError::new(
                "expires_at",
                "Expiry must be in the future.",
            ));
        }
        Ok(Self(Some(when)))
    }

    pub fn get(&self) -> Option<DateTime<Utc>> {
        self.0
    }

    pub fn has_passed(&self, now: DateTime<Utc>) -> bool {
        self.0.is_some_and(|when| when <= now)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStatus {
    Active,
    Revoked,
    Expired,
}

impl KeyStatus {
    /// Expired is computed at request time from the expiry, not by a job.
    pub fn of(revoked: bool, expiry: Expiry, now: DateTime<Utc>) -> Self {
        if revoked {
            Self::Revoked
        } else if expiry.has_passed(now) {
            Self::Expired
        } else {
            Self::Active
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Revoked => "Revoked",
            Self::Expired => "Expired",
        }
    }
}

/// A row of the keys list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeySummary {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub permissions: Permissions,
    pub status: KeyStatus,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub last_used_at: Option<DateTime<Utc>>,
    pub request_count: i64,
    pub is_playground: bool,
}

/// What the create call returns: the only time the plaintext leaves the server.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedKey {
    pub key: KeySummary,
    pub plaintext: String,
}

impl fmt::Debug for CreatedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedKey")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// The validated input of "New key".
#[derive(Debug, Clone)]
pub struct NewKey {
    pub name: KeyName,
    pub permissions: Permissions,
    pub expiry: Expiry,
}

impl NewKey {
    pub fn parse(
        name: &str,
        permissions: Permissions,
        expires_at: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, AppError> {
        let name = KeyName::parse(name);
        let expiry = Expiry::parse(expires_at, now);
        match (name, expiry) {
            (Ok(name), Ok(expiry)) => Ok(Self {
                name,
                permissions,
                expiry,
            }),
            (name, expiry) => Err(AppError::Validation(
                [name.err(), expiry.err()].into_iter().flatten().collect(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap()
    }

    const SAMPLE: &str = "sk_AbCd1234_0123456789abcdefghijABCDEFGHIJKL";

    #[test]
    fn a_well_formed_key_parses() {
        assert_eq!(SAMPLE.len(), KEY_LEN);
        let key = ApiKey::parse(SAMPLE).unwrap();
        assert_eq!(key.prefix().as_str(), "sk_AbCd1234_01");
        assert_eq!(key.expose(), SAMPLE);
    }

    #[test]
    fn keys_of_the_wrong_shape_are_rejected() {
        for bad in [
            "",
            "sk_",
            &SAMPLE[..43],
            &format!("{SAMPLE}x"),
            &SAMPLE.replace("sk_", "pk_"),
            &SAMPLE.replacen('_', "-", 2),
            "sk_AbCd1234_0123456789abcdefghijABCDEFGHIJK!",
            "sk_AbCd-234_0123456789abcdefghijABCDEFGHIJKL",
            "sk_AbCd1234_0123456789abcdefghijABCDEFGHIJé",
        ] {
            assert_eq!(ApiKey::parse(bad), Err(MalformedKey), "{bad:?}");
        }
    }

    #[test]
    fn generated_keys_have_the_documented_shape() {
        for _ in 0..1000 {
            let key = ApiKey::generate();
            let raw = key.expose();
            assert_eq!(raw.len(), KEY_LEN);
            assert!(raw.starts_with("sk_"));
            assert_eq!(&raw[11..12], "_");
            assert!(raw[3..11].bytes().all(|b| BASE62.contains(&b)));
            assert!(raw[12..].bytes().all(|b| BASE62.contains(&b)));
            assert_eq!(ApiKey::parse(raw), Ok(key.clone()));
        }
    }

    #[test]
    fn generated_keys_do_not_repeat_and_use_the_whole_alphabet() {
        let mut seen = std::collections::HashSet::new();
        let mut prefixes = std::collections::HashSet::new();
        let mut alphabet = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let key = ApiKey::generate();
            alphabet.extend(key.expose()[12..].bytes());
            prefixes.insert(key.prefix());
            assert!(seen.insert(key.expose().to_owned()));
        }
        assert_eq!(prefixes.len(), 10_000);
        assert_eq!(alphabet.len(), 62);
    }

    #[test]
    fn the_hash_is_sha256_of_the_whole_key_in_hex() {
        let key = ApiKey::parse(SAMPLE).unwrap();
        let hash = key.hash();
        assert_eq!(hash.as_str().len(), 64);
        assert_eq!(hash, KeyHash::of(SAMPLE));
        assert_ne!(hash, KeyHash::of(&SAMPLE.replace('J', "K")));
        // Known vector: SHA-256("abc").
        assert_eq!(
            KeyHash::of("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let key = ApiKey::parse(SAMPLE).unwrap();
        let shown = format!("{key:?} {:?}", key.hash());
        assert!(!shown.contains(&SAMPLE[14..]));
        assert!(shown.contains("sk_AbCd1234_01"));
    }

    #[test]
    fn names_with_invisible_or_bidi_characters_or_too_many_bytes_are_refused() {
        assert!(
            KeyName::parse("CI\u{202E}boj").is_err(),
            "right-to-left override"
        );
        assert!(
            KeyName::parse("Zapier\u{200B}").is_err(),
            "zero-width space"
        );
        assert!(
            KeyName::parse(&format!("a{}", "\u{0301}".repeat(600))).is_err(),
            "one grapheme, 1201 bytes"
        );
        assert!(KeyName::parse("Zapier, leads sync (Köln) ✓").is_ok());
        assert!(
            KeyName::parse("Family sync 👨\u{200D}👩\u{200D}👧").is_ok(),
            "joiners in emoji"
        );
    }

    #[test]
    fn an_untrusted_token_is_echoed_as_at_most_14_printable_characters() {
        assert_eq!(KeyPrefix::echo_untrusted(SAMPLE), "sk_AbCd1234_01");
        assert_eq!(KeyPrefix::echo_untrusted("sk_short"), "sk_short");
        assert_eq!(KeyPrefix::echo_untrusted("sk_a\nb\"c"), "sk_a?b\"c");
        assert_eq!(
            KeyPrefix::echo_untrusted(&format!("sk_{}", "é".repeat(40)))
                .chars()
                .count(),
            14
        );
    }

    #[test]
    fn a_token_that_is_not_ours_is_never_echoed() {
        assert_eq!(
            KeyPrefix::echo_untrusted("ghp_0123456789abcdefghijklmnopqrstuvwxyz"),
            ""
        );
        assert_eq!(KeyPrefix::echo_untrusted("xoxb-1234-5678"), "");
        assert_eq!(KeyPrefix::echo_untrusted(""), "");
    }

    #[test]
    fn prefixes_parse_only_with_their_exact_shape() {
        assert!(KeyPrefix::parse("sk_AbCd1234_01").is_some());
        assert!(KeyPrefix::parse("sk_AbCd1234_0").is_none());
        assert!(KeyPrefix::parse(SAMPLE).is_none());
    }

    #[test]
    fn key_names_of_1_and_100_characters_are_accepted() {
        assert_eq!(KeyName::parse("a").unwrap().as_str(), "a");
        assert!(KeyName::parse(&"a".repeat(100)).is_ok());
    }

    #[test]
    fn empty_whitespace_and_101_character_names_are_rejected() {
        assert!(KeyName::parse("").is_err());
        assert!(KeyName::parse("   \t ").is_err());
        let err = KeyName::parse(&"a".repeat(101)).unwrap_err();
        assert_eq!(err.field, "name");
        assert!(err.message.contains("100"));
    }

    #[test]
    fn names_are_trimmed_and_counted_as_a_person_sees_them() {
        assert_eq!(
            KeyName::parse("  Zapier, leads sync ").unwrap().as_str(),
            "Zapier, leads sync"
        );
        // "é" written as e + combining acute accent: 100 visible characters, 200 chars.
        let combining = "e\u{301}".repeat(100);
        assert!(KeyName::parse(&combining).is_ok());
        assert!(KeyName::parse(&format!("{combining}e\u{301}")).is_err());
        // Emoji with skin tone modifiers count as one each.
        assert!(KeyName::parse(&"👍🏽".repeat(100)).is_ok());
    }

    #[test]
    fn control_characters_are_rejected_in_names() {
        assert!(KeyName::parse("bad\u{0}name").is_err());
        assert!(KeyName::parse("line\nbreak").is_err());
    }

    #[test]
    fn permissions_default_to_none() {
        let p = Permissions::default();
        assert!(Permission::ALL.iter().all(|x| !p.allows(*x)));
        assert_eq!(p.describe(), "None");
        assert_eq!(
            Permissions::LEADS_CRUD.describe(),
            "Leads: read, create, update, delete"
        );
    }

    #[test]
    fn scopes_name_the_permission() {
        assert_eq!(Permission::Create.scope(), "leads:create");
        let mut p = Permissions::default();
        p.set(Permission::Update, true);
        assert!(p.allows(Permission::Update) && !p.allows(Permission::Delete));
    }

    #[test]
    fn expiry_is_optional() {
        assert_eq!(Expiry::parse("", now()), Ok(Expiry::NEVER));
        assert!(!Expiry::NEVER.has_passed(now()));
    }

    #[test]
    fn a_date_expiry_lasts_through_that_day() {
        let e = Expiry::parse("2026-12-01", now()).unwrap();
        assert_eq!(
            e.get().unwrap(),
            Utc.with_ymd_and_hms(2026, 12, 1, 23, 59, 59).unwrap()
        );
        let e = Expiry::parse("2026-11-27T13:30", now()).unwrap();
        assert_eq!(
            e.get().unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 27, 13, 30, 0).unwrap()
        );
    }

    #[test]
    fn an_expiry_in_the_past_or_garbage_is_refused() {
        assert!(Expiry::parse("2026-11-26", now()).is_err());
        assert!(Expiry::parse("2026-11-27T12:00", now()).is_err());
        assert!(Expiry::parse("tomorrow", now()).is_err());
    }

    #[test]
    fn status_is_computed_from_revocation_and_expiry() {
        let past = Expiry::at(now() - chrono::Duration::seconds(1));
        let future = Expiry::at(now() + chrono::Duration::hours(1));
        assert_eq!(KeyStatus::of(false, future, now()), KeyStatus::Active);
        assert_eq!(KeyStatus::of(false, past, now()), KeyStatus::Expired);
        assert_eq!(KeyStatus::of(true, future, now()), KeyStatus::Revoked);
        assert_eq!(
            KeyStatus::of(false, Expiry::at(now()), now()),
            KeyStatus::Expired
        );
    }

    #[test]
    fn new_key_reports_every_invalid_field_at_once() {
        let err = NewKey::parse("", Permissions::default(), "yesterday", now()).unwrap_err();
        let fields: Vec<_> = err
            .field_errors()
            .iter()
            .map(|e| e.field.as_str())
            .collect();
        assert_eq!(fields, ["name", "expires_at"]);
    }
}
