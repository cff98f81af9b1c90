//! API-key rules and data types, shared by the server, the browser and the
//! tests: names, permissions, expiry, status, grace, allowlists, policy.
//! Holding one of these means it has been parsed and is valid.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use unicode_segmentation::UnicodeSegmentation;

use crate::error::{AppError, FieldError};

/// A key's label: 1 to 100 characters as a person counts them (grapheme
/// clusters), after trimming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyName(String);

pub const KEY_NAME_MAX: usize = 100;
/// 100 graphemes may be far more bytes (combining marks stack without
/// limit); this bounds what one name can weigh.
const KEY_NAME_MAX_BYTES: usize = 1000;

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
            .any(|c| c.is_control() || crate::platform::text::is_invisible_format(c))
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
    /// Rolled with a grace period: works until its revocation time.
    Retiring,
    Revoked,
    Expired,
}

/// Whether a key was revoked, as stored in `revoked_at` and
/// `revoked_reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    None,
    /// Revoked: by hand, as leaked, with its creator's removal, or by a roll
    /// without grace. Refused from the commit on, on every instance, whatever
    /// its clock says: instances' clocks differ by some milliseconds or
    /// seconds (and one may step back), so a revocation that compared its
    /// time with a request's could let the key through elsewhere.
    Done,
    /// A rolled key's grace period: it works until this time.
    Until(DateTime<Utc>),
}

impl Revocation {
    /// `revoked_reason` of a roll with a grace period: the only revocation
    /// that waits for a time.
    pub const ROLLED: &'static str = "rolled";
    /// `revoked_reason` of a roll without grace.
    pub const REPLACED: &'static str = "replaced";
    pub const LEAKED: &'static str = "leaked";

    pub fn from_stored(revoked_at: Option<i64>, reason: Option<&str>) -> Self {
        match (revoked_at, reason) {
            (None, _) => Self::None,
            (Some(at), Some(Self::ROLLED)) => {
                Self::Until(DateTime::from_timestamp_millis(at).unwrap_or_default())
            }
            (Some(_), _) => Self::Done,
        }
    }
}

impl KeyStatus {
    /// Computed at request time from the revocation (a roll's ends at a
    /// time) and the expiry, not by a job: the one place that decides
    /// whether a key works.
    pub fn of(revocation: Revocation, expiry: Expiry, now: DateTime<Utc>) -> Self {
        match revocation {
            Revocation::Done => Self::Revoked,
            Revocation::Until(at) if at <= now => Self::Revoked,
            _ if expiry.has_passed(now) => Self::Expired,
            Revocation::Until(_) => Self::Retiring,
            Revocation::None => Self::Active,
        }
    }

    /// Whether the API accepts the key.
    pub fn works(self) -> bool {
        matches!(self, Self::Active | Self::Retiring)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Retiring => "Retiring",
            Self::Revoked => "Revoked",
            Self::Expired => "Expired",
        }
    }
}

/// Keys expiring within this are flagged in the list, counted in a banner
/// and announced by the API's `Leadline-Key-Expires` header.
pub const EXPIRY_WARNING: chrono::Duration = chrono::Duration::days(7);

/// "23 h", "6 days", "12 min": how long until a moment, as the list says it.
/// Hours below two days (a 24-hour grace reads "23 h" soon after), days
/// above. Always rounded down: the time left is never overstated, so
/// 3 days and 16 hours read "3 days".
pub fn time_left(ms: i64) -> String {
    const MINUTE: i64 = 60_000;
    const HOUR: i64 = 60 * MINUTE;
    let ms = ms.max(0);
    if ms < MINUTE {
        "under a minute".to_owned()
    } else if ms < HOUR {
        format!("{} min", ms / MINUTE)
    } else if ms < 48 * HOUR {
        format!("{} h", ms / HOUR)
    } else {
        format!("{} days", ms / (24 * HOUR))
    }
}

/// How long the old key keeps working after a roll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grace {
    None,
    OneHour,
    OneDay,
    SevenDays,
}

impl Grace {
    pub const ALL: [Grace; 4] = [Self::None, Self::OneHour, Self::OneDay, Self::SevenDays];

    pub fn duration(self) -> chrono::Duration {
        match self {
            Self::None => chrono::Duration::zero(),
            Self::OneHour => chrono::Duration::hours(1),
            Self::OneDay => chrono::Duration::hours(24),
            Self::SevenDays => chrono::Duration::days(7),
        }
    }

    /// Its name in a form post (as serde spells it).
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "None",
            Self::OneHour => "OneHour",
            Self::OneDay => "OneDay",
            Self::SevenDays => "SevenDays",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::None => "None: the old key stops now",
            Self::OneHour => "1 hour",
            Self::OneDay => "24 hours",
            Self::SevenDays => "7 days",
        }
    }
}

/// Most entries in one key's IP allowlist.
pub const IP_ALLOWLIST_MAX: usize = 50;

/// Where a key may be used from: addresses and CIDR ranges; empty for
/// anywhere. Single addresses are kept as /32 (or /128) ranges.
#[cfg(feature = "ssr")]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpAllowlist(Vec<ipnet::IpNet>);

#[cfg(feature = "ssr")]
impl IpAllowlist {
    /// Entries separated by commas, spaces or new lines. A range with host
    /// bits set (`10.0.0.5/24`) is refused rather than silently widened.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let field = |message: String| FieldError::new("allowed_ips", message);
        let mut nets: Vec<ipnet::IpNet> = Vec::new();
        for entry in raw
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty())
        {
            let net = if let Ok(ip) = entry.parse::<std::net::IpAddr>() {
                ipnet::IpNet::from(ip)
            } else if let Ok(net) = entry.parse::<ipnet::IpNet>() {
                if net.trunc() != net {
                    return Err(field(format!(
                        "{entry} has bits set after the /{}: did you mean {}?",
                        net.prefix_len(),
                        net.trunc()
                    )));
                }
                net
            } else {
                let shown: String = entry.chars().take(60).collect();
                return Err(field(format!(
                    "\"{shown}\" is not an IPv4 or IPv6 address or CIDR range (like 203.0.113.0/24)."
                )));
            };
            if !nets.contains(&net) {
                nets.push(net);
            }
        }
        if nets.len() > IP_ALLOWLIST_MAX {
            return Err(field(format!(
                "At most {IP_ALLOWLIST_MAX} entries (there are {}).",
                nets.len()
            )));
        }
        Ok(Self(nets))
    }

    /// As stored: parsed when written, so anything unreadable is skipped.
    pub fn from_stored(stored: &str) -> Self {
        Self(stored.lines().filter_map(|l| l.parse().ok()).collect())
    }

    pub fn to_stored(&self) -> String {
        self.0
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Empty allows any address. An IPv4 client seen through an IPv6
    /// socket (`::ffff:203.0.113.9`) is matched as IPv4.
    pub fn allows(&self, ip: std::net::IpAddr) -> bool {
        let ip = match ip {
            std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, std::net::IpAddr::V4),
            v4 => v4,
        };
        self.0.is_empty() || self.0.iter().any(|net| net.contains(&ip))
    }

    /// For display: single addresses without their /32 or /128.
    pub fn entries(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|n| {
                if n.prefix_len() == n.max_prefix_len() {
                    n.addr().to_string()
                } else {
                    n.to_string()
                }
            })
            .collect()
    }
}

/// An organisation's rules for the keys it makes, set by its admins. They
/// apply to new keys and rolls only; existing keys keep their expiry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyPolicy {
    /// Keys must expire within this many days of their creation.
    pub max_lifetime_days: Option<u32>,
    /// Keys must have an expiry (implied by a maximum lifetime).
    pub expiry_required: bool,
}

/// The longest maximum lifetime a policy may set (ten years).
pub const POLICY_MAX_DAYS: u32 = 3650;

impl KeyPolicy {
    /// The policy form: a number of days (empty for none) and a tick box.
    pub fn parse(max_lifetime_days: &str, expiry_required: bool) -> Result<Self, FieldError> {
        let raw = max_lifetime_days.trim();
        let max_lifetime_days = if raw.is_empty() {
            None
        } else {
            match raw.parse::<u32>() {
                Ok(days) if (1..=POLICY_MAX_DAYS).contains(&days) => Some(days),
                _ => {
                    return Err(FieldError::new(
                        "max_lifetime_days",
                        format!("Maximum lifetime must be a whole number of days from 1 to {POLICY_MAX_DAYS}, or empty for none."),
                    ))
                }
            }
        };
        Ok(Self {
            max_lifetime_days,
            expiry_required: expiry_required || max_lifetime_days.is_some(),
        })
    }

    /// The last moment a key created at `now` may expire: the end of the
    /// day (UTC) `max_lifetime_days` from now, which the form's date field
    /// can name.
    pub fn latest_expiry(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let days = self.max_lifetime_days?;
        let day = (now + chrono::Duration::days(i64::from(days))).date_naive();
        Some(day.and_time(NaiveTime::from_hms_opt(23, 59, 59)?).and_utc())
    }

    /// What "New key" pre-fills in its Expiry field (`YYYY-MM-DD`).
    pub fn suggested_expiry(&self, now: DateTime<Utc>) -> Option<String> {
        self.latest_expiry(now)
            .map(|at| at.date_naive().format("%Y-%m-%d").to_string())
    }

    /// Checks a new key's (or a roll's) expiry against the policy.
    pub fn check(&self, expiry: Expiry, now: DateTime<Utc>) -> Result<(), FieldError> {
        let field = |message: String| Err(FieldError::new("expires_at", message));
        match (expiry.get(), self.latest_expiry(now)) {
            (None, latest) if self.expiry_required || latest.is_some() => field(format!(
                "Your organisation's key policy requires an expiry{}.",
                self.max_lifetime_days
                    .map(|d| format!(" within {d} days"))
                    .unwrap_or_default()
            )),
            (Some(at), Some(latest)) if at > latest => field(format!(
                "Your organisation's key policy allows keys to last at most {} days: choose {} or earlier.",
                self.max_lifetime_days.unwrap_or_default(),
                latest.format("%Y-%m-%d")
            )),
            _ => Ok(()),
        }
    }

    /// "Keys must expire within 90 days." or "No rules.".
    pub fn describe(&self) -> String {
        match (self.max_lifetime_days, self.expiry_required) {
            (Some(days), _) => format!("New keys must expire within {days} days."),
            (None, true) => "New keys must have an expiry.".to_owned(),
            (None, false) => "No rules: keys may last forever.".to_owned(),
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
    /// When it was (or, for a retiring key, will be) revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// "reported as leaked", "rolled": why, when not by hand.
    pub revoked_reason: Option<String>,
    /// The prefix of the key this one replaced, if it came from a roll.
    pub rolled_from: Option<String>,
    /// Addresses and ranges the key may be used from; empty for anywhere.
    pub allowed_ips: Vec<String>,
    /// Until revocation, for a retiring key; until expiry, for a working
    /// key that expires within [`EXPIRY_WARNING`] (server time, in ms).
    pub retires_in_ms: Option<i64>,
    pub expires_in_ms: Option<i64>,
    /// Requests in the last 24 hours, filled in for revoked and expired keys
    /// ("Still called"): something still uses a key that no longer works.
    pub calls_24h: i64,
    /// A working key not used for 90 days (or, never used, created that
    /// long ago).
    pub unused: bool,
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

    #[test]
    fn a_grace_period_posts_under_the_name_serde_reads() {
        for grace in Grace::ALL {
            let posted = format!("\"{}\"", grace.name());
            assert_eq!(serde_json::from_str::<Grace>(&posted).unwrap(), grace);
        }
    }
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap()
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
        let earlier = Revocation::Until(now() - chrono::Duration::seconds(1));
        let later = Revocation::Until(now() + chrono::Duration::minutes(30));
        let none = Revocation::None;
        assert_eq!(KeyStatus::of(none, future, now()), KeyStatus::Active);
        assert_eq!(KeyStatus::of(none, past, now()), KeyStatus::Expired);
        assert_eq!(KeyStatus::of(earlier, future, now()), KeyStatus::Revoked);
        assert_eq!(
            KeyStatus::of(Revocation::Until(now()), future, now()),
            KeyStatus::Revoked
        );
        assert_eq!(KeyStatus::of(later, future, now()), KeyStatus::Retiring);
        assert_eq!(KeyStatus::of(later, past, now()), KeyStatus::Expired);
        assert_eq!(
            KeyStatus::of(none, Expiry::at(now()), now()),
            KeyStatus::Expired
        );
        assert_eq!(
            KeyStatus::of(Revocation::Done, future, now()),
            KeyStatus::Revoked
        );
        assert!(KeyStatus::Retiring.works() && !KeyStatus::Expired.works());
    }

    #[test]
    fn only_a_roll_with_grace_waits_for_its_time() {
        let at = now() + chrono::Duration::hours(1);
        let ms = Some(at.timestamp_millis());
        assert_eq!(
            Revocation::from_stored(None, Some("rolled")),
            Revocation::None
        );
        assert_eq!(
            Revocation::from_stored(ms, Some("rolled")),
            Revocation::Until(at)
        );
        // A revocation stamped by a clock ahead of this one is in force all
        // the same.
        for reason in [None, Some("leaked"), Some("replaced")] {
            assert_eq!(Revocation::from_stored(ms, reason), Revocation::Done);
            assert_eq!(
                KeyStatus::of(Revocation::from_stored(ms, reason), Expiry::NEVER, now()),
                KeyStatus::Revoked
            );
        }
        assert!(KeyStatus::Retiring.works() && !KeyStatus::Expired.works());
    }

    #[test]
    fn time_left_reads_as_the_list_says_it() {
        let h = 3_600_000;
        assert_eq!(time_left(24 * h - 60_000), "23 h");
        assert_eq!(time_left(h + 1), "1 h");
        assert_eq!(time_left(59 * 60_000), "59 min");
        assert_eq!(time_left(60_000 + 59_999), "1 min");
        assert_eq!(time_left(5), "under a minute");
        assert_eq!(time_left(7 * 24 * h - 60_000), "6 days");
        assert_eq!(time_left(7 * 24 * h), "7 days");
        assert_eq!(time_left(3 * 24 * h + 16 * h), "3 days", "never overstated");
        assert_eq!(time_left(48 * h - 1), "47 h");
    }

    #[test]
    fn ip_allowlists_parse_addresses_and_ranges() {
        let list =
            IpAllowlist::parse("203.0.113.7, 10.0.0.0/8\n2001:db8::/32 203.0.113.7").unwrap();
        assert_eq!(
            list.entries(),
            ["203.0.113.7", "10.0.0.0/8", "2001:db8::/32"]
        );
        assert_eq!(IpAllowlist::from_stored(&list.to_stored()), list);
        assert!(list.allows("10.1.2.3".parse().unwrap()));
        assert!(list.allows("203.0.113.7".parse().unwrap()));
        assert!(
            list.allows("::ffff:10.9.9.9".parse().unwrap()),
            "IPv4-mapped"
        );
        assert!(list.allows("2001:db8:1::5".parse().unwrap()));
        assert!(!list.allows("203.0.113.8".parse().unwrap()));
        assert!(!list.allows("2001:db9::1".parse().unwrap()));
        assert!(IpAllowlist::parse("  ")
            .unwrap()
            .allows("192.0.2.1".parse().unwrap()));
    }

    #[test]
    fn ip_allowlists_refuse_bad_entries_with_a_clear_message() {
        let e = IpAllowlist::parse("10.0.0.5/24").unwrap_err();
        assert_eq!(e.field, "allowed_ips");
        assert!(e.message.contains("10.0.0.0/24"), "{}", e.message);
        let e = IpAllowlist::parse("10.0.0.1, example.com").unwrap_err();
        assert!(e.message.contains("example.com"));
        assert!(IpAllowlist::parse("10.0.0.0/33").is_err());
        let many: Vec<String> = (0..51).map(|i| format!("10.0.0.{i}")).collect();
        let e = IpAllowlist::parse(&many.join(",")).unwrap_err();
        assert!(e.message.contains("50"));
        assert!(IpAllowlist::parse(&many[..50].join(",")).is_ok());
    }

    #[test]
    fn a_key_policy_bounds_new_expiries() {
        let policy = KeyPolicy::parse("90", false).unwrap();
        assert!(
            policy.expiry_required,
            "a maximum lifetime implies an expiry"
        );
        assert_eq!(
            policy.suggested_expiry(now()).as_deref(),
            Some("2027-02-25")
        );
        let e = policy.check(Expiry::NEVER, now()).unwrap_err();
        assert_eq!(e.field, "expires_at");
        assert!(e.message.contains("90 days"));
        assert!(policy
            .check(Expiry::parse("2027-02-25", now()).unwrap(), now())
            .is_ok());
        let e = policy
            .check(Expiry::parse("2027-02-26", now()).unwrap(), now())
            .unwrap_err();
        assert!(e.message.contains("2027-02-25"), "{}", e.message);
        let required = KeyPolicy::parse("", true).unwrap();
        assert!(required.check(Expiry::NEVER, now()).is_err());
        assert!(required
            .check(Expiry::parse("2030-01-01", now()).unwrap(), now())
            .is_ok());
        assert!(KeyPolicy::default().check(Expiry::NEVER, now()).is_ok());
        for bad in ["0", "-1", "3651", "ninety", "1.5"] {
            assert!(KeyPolicy::parse(bad, false).is_err(), "{bad}");
        }
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
