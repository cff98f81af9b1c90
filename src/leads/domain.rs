//! Lead domain types, shared by the dashboard and the public REST API.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::domain::Email;
use crate::error::{AppError, FieldError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LeadStatus {
    New,
    Contacted,
    Qualified,
    Won,
    Lost,
}

impl LeadStatus {
    pub const ALL: [LeadStatus; 5] = [
        Self::New,
        Self::Contacted,
        Self::Qualified,
        Self::Won,
        Self::Lost,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Contacted => "contacted",
            Self::Qualified => "qualified",
            Self::Won => "won",
            Self::Lost => "lost",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::New => "New",
            Self::Contacted => "Contacted",
            Self::Qualified => "Qualified",
            Self::Won => "Won",
            Self::Lost => "Lost",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == raw)
    }
}

/// A lead as the dashboard and the API show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "id": 42, "name": "Ada Lovelace", "email": "ada@analytical.example", "company": "Analytical Engines",
    "phone": "", "status": "qualified", "source": "Conference", "notes": "",
    "created_at": "2026-11-27T09:00:00Z", "updated_at": "2026-11-27T09:30:00Z"
})))]
pub struct Lead {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub company: String,
    pub phone: String,
    pub status: LeadStatus,
    pub source: String,
    pub notes: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The fields of a lead as typed into a form or sent to the API, unvalidated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({
    "name": "Margaret Hamilton", "email": "margaret@apollo.example", "company": "Apollo Guidance",
    "phone": "+1 555 0100", "status": "new", "source": "Zapier", "notes": "Met at the launch event."
})))]
#[serde(deny_unknown_fields)]
pub struct LeadDraft {
    /// 1 to 200 characters, not all spaces, without control or invisible
    /// formatting characters. Required.
    #[cfg_attr(
        feature = "ssr",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"^[^\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]*[^\u0000-\u0020\u007f-\u00a0\u00ad\u061c\u1680\u180e\u2000-\u200b\u200e\u200f\u2028-\u202f\u205f-\u2064\u2066-\u206f\u3000\ufeff\ufff9-\ufffb][^\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]*$"
        )
    )]
    pub name: String,
    /// Empty, or an email address (stored in lower case).
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(
            max_length = 254,
            pattern = r"^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*([^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000@]{1,64}@[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000@.]+(\.[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000@.]+)+)?[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
        )
    )]
    pub email: String,
    /// At most 200 characters, on one line (no control characters).
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(max_length = 200, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")
    )]
    pub company: String,
    /// At most 50 characters, on one line (no control characters).
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(max_length = 50, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")
    )]
    pub phone: String,
    /// Default: new.
    #[serde(default = "default_status")]
    #[cfg_attr(feature = "ssr", schema(value_type = LeadStatus, default = "new"))]
    pub status: String,
    /// Where the lead came from. At most 100 characters, on one line (no
    /// control characters).
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(max_length = 100, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")
    )]
    pub source: String,
    /// At most 5000 characters; tabs and line breaks are the only control
    /// characters it may hold.
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(
            max_length = 5000,
            pattern = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"
        )
    )]
    pub notes: String,
}

fn default_status() -> String {
    "new".to_owned()
}

/// A partial update: only the fields present change. Each field takes the
/// constraints of the same field of [`LeadDraft`] (the API document copies
/// them, see `api::openapi`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({ "status": "contacted", "notes": "Called back on Monday." })))]
#[serde(deny_unknown_fields)]
pub struct LeadPatch {
    /// Absent or null leaves it unchanged.
    pub name: Option<String>,
    /// An empty string clears it.
    pub email: Option<String>,
    pub company: Option<String>,
    pub phone: Option<String>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<LeadStatus>))]
    pub status: Option<String>,
    pub source: Option<String>,
    pub notes: Option<String>,
}

impl LeadPatch {
    /// Applies the patch to a lead's current fields, giving a draft to validate.
    pub fn apply_to(self, lead: &Lead) -> LeadDraft {
        LeadDraft {
            name: self.name.unwrap_or_else(|| lead.name.clone()),
            email: self.email.unwrap_or_else(|| lead.email.clone()),
            company: self.company.unwrap_or_else(|| lead.company.clone()),
            phone: self.phone.unwrap_or_else(|| lead.phone.clone()),
            status: self.status.unwrap_or_else(|| lead.status.key().to_owned()),
            source: self.source.unwrap_or_else(|| lead.source.clone()),
            notes: self.notes.unwrap_or_else(|| lead.notes.clone()),
        }
    }
}

/// A validated lead: holding one means every field is acceptable.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadInput {
    pub name: String,
    pub email: String,
    pub company: String,
    pub phone: String,
    pub status: LeadStatus,
    pub source: String,
    pub notes: String,
}

/// Checks the length of the value as sent (what the API schema's
/// `maxLength` says), and keeps it without surrounding whitespace.
/// Which control characters a free-text field may hold. None may be NUL:
/// PostgreSQL cannot store it, and both backends must take the same text.
#[derive(Clone, Copy)]
enum Lines {
    /// None: the field is shown on one line.
    One,
    /// Tabs and line breaks (`\t`, `\n`, `\r`), as a textarea sends them.
    Many,
}

fn bounded(
    field: &str,
    label: &str,
    value: &str,
    max: usize,
    lines: Lines,
    errors: &mut Vec<FieldError>,
) -> String {
    if value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("{label} must be at most {max} characters."),
        ));
    }
    let refused = |c: char| match lines {
        Lines::One => c.is_control(),
        Lines::Many => c.is_control() && !matches!(c, '\t' | '\n' | '\r'),
    };
    if value.chars().any(refused) {
        errors.push(FieldError::new(
            field,
            match lines {
                Lines::One => format!("{label} cannot contain control characters."),
                Lines::Many => format!(
                    "{label} cannot contain control characters other than tabs and line breaks."
                ),
            },
        ));
    }
    value.trim().to_owned()
}

/// What the Leads page and the API's `q=` look for: at most 200
/// characters, without control characters (no lead holds one in a field
/// that search reads), trimmed. Empty means "no search".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchText(String);

impl SearchText {
    pub const MAX: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        if raw.chars().count() > Self::MAX {
            return Err(FieldError::new(
                "q",
                format!("Search text (q) must be at most {} characters.", Self::MAX),
            ));
        }
        if raw.chars().any(char::is_control) {
            return Err(FieldError::new(
                "q",
                "Search text (q) cannot contain control characters.",
            ));
        }
        Ok(Self(raw.trim().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl LeadInput {
    pub fn parse(draft: &LeadDraft) -> Result<Self, AppError> {
        let mut errors = Vec::new();
        let name = bounded("name", "Name", &draft.name, 200, Lines::One, &mut errors);
        if name.is_empty() {
            errors.push(FieldError::new("name", "Name is required."));
        }
        // The name is shown in the audit log: no text that reads as another.
        if draft
            .name
            .chars()
            .any(crate::platform::text::is_invisible_format)
        {
            errors.push(FieldError::new(
                "name",
                "Name cannot contain invisible formatting characters.",
            ));
        }
        if draft.email.chars().count() > 254 {
            errors.push(FieldError::new(
                "email",
                "Email must be at most 254 characters.",
            ));
        }
        let email = draft.email.trim();
        let email = if email.is_empty() {
            String::new()
        } else {
            match Email::parse(email) {
                Ok(email) => email.as_str().to_owned(),
                Err(e) => {
                    errors.push(e);
                    String::new()
                }
            }
        };
        let company = bounded(
            "company",
            "Company",
            &draft.company,
            200,
            Lines::One,
            &mut errors,
        );
        let phone = bounded("phone", "Phone", &draft.phone, 50, Lines::One, &mut errors);
        let source = bounded(
            "source",
            "Source",
            &draft.source,
            100,
            Lines::One,
            &mut errors,
        );
        let notes = bounded(
            "notes",
            "Notes",
            &draft.notes,
            5000,
            Lines::Many,
            &mut errors,
        );
        let status = LeadStatus::parse(&draft.status);
        if status.is_none() {
            errors.push(FieldError::new(
                "status",
                "Status must be one of new, contacted, qualified, won, lost.",
            ));
        }
        match status {
            Some(status) if errors.is_empty() => Ok(Self {
                name,
                email,
                company,
                phone,
                status,
                source,
                notes,
            }),
            _ => Err(AppError::Validation(errors)),
        }
    }
}

/// Which leads a list shows, and from where.
#[derive(Debug, Clone, Default)]
pub struct LeadFilter {
    pub status: Option<LeadStatus>,
    /// The sync feed: only leads changed at or after this, oldest change
    /// first (`updated_at`, then `id`), so that a lead changed while a client
    /// pages through comes again later instead of being skipped.
    pub updated_since: Option<i64>,
    /// Name, email or company contains this.
    pub q: SearchText,
    /// Newest first: only leads older (smaller id) than this.
    pub before_id: Option<i64>,
    /// The sync feed: only leads after this (`updated_at`, `id`).
    pub changed_after: Option<(i64, i64)>,
}

/// A deleted lead, as the deleted feed lists it.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Tombstone {
    pub lead_id: i64,
    pub deleted_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(name: &str) -> LeadDraft {
        LeadDraft {
            name: name.into(),
            status: "new".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_name_with_bidi_or_zero_width_characters_is_refused() {
        for name in ["Ada\u{202E}ecalevol", "Ada\u{200B}Lovelace", "Ada\u{2066}x"] {
            let err = LeadInput::parse(&draft(name)).unwrap_err();
            assert_eq!(err.field_errors()[0].field, "name", "{name:?}");
        }
        assert!(LeadInput::parse(&draft("Ada Lovelace (Añorga) 👩\u{200D}💻")).is_ok());
    }

    #[test]
    fn free_text_holds_no_control_characters_but_notes_keep_their_lines() {
        for field in ["company", "phone", "source", "notes"] {
            let mut bad = draft("Ada");
            let value = "a\u{0}b".to_owned();
            match field {
                "company" => bad.company = value,
                "phone" => bad.phone = value,
                "source" => bad.source = value,
                _ => bad.notes = value,
            }
            let err = LeadInput::parse(&bad).unwrap_err();
            assert_eq!(err.field_errors()[0].field, field);
        }
        let mut tabbed = draft("Ada");
        tabbed.company = "Acme\tLtd".into();
        assert!(LeadInput::parse(&tabbed).is_err());
        let mut notes = draft("Ada");
        notes.notes = "Called twice.\r\n\tNo answer.".into();
        assert_eq!(
            LeadInput::parse(&notes).unwrap().notes,
            "Called twice.\r\n\tNo answer."
        );
    }

    #[test]
    fn search_text_is_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(SearchText::parse("  acme ").unwrap().as_str(), "acme");
        assert!(SearchText::parse("   ").unwrap().is_empty());
        assert!(SearchText::parse(&"é".repeat(200)).is_ok());
        assert!(SearchText::parse(&"é".repeat(201)).is_err());
        for bad in ["ab\u{0}cd", "a\tb", "\u{1f}", "x\u{85}"] {
            assert_eq!(SearchText::parse(bad).unwrap_err().field, "q", "{bad:?}");
        }
    }

    #[test]
    fn a_lead_needs_only_a_name() {
        let lead = LeadInput::parse(&draft(" Ada Lovelace ")).unwrap();
        assert_eq!(lead.name, "Ada Lovelace");
        assert_eq!(lead.status, LeadStatus::New);
    }

    #[test]
    fn every_bad_field_is_reported() {
        let bad = LeadDraft {
            name: " ".into(),
            email: "not-an-email".into(),
            status: "maybe".into(),
            notes: "x".repeat(5001),
            ..Default::default()
        };
        let err = LeadInput::parse(&bad).unwrap_err();
        let mut fields: Vec<_> = err.field_errors().iter().map(|e| e.field.clone()).collect();
        fields.sort();
        assert_eq!(fields, ["email", "name", "notes", "status"]);
    }

    #[test]
    fn emails_are_normalised() {
        let mut d = draft("Ada");
        d.email = "ADA@Example.com".into();
        assert_eq!(LeadInput::parse(&d).unwrap().email, "ada@example.com");
    }

    #[test]
    fn a_patch_keeps_fields_it_does_not_name() {
        let now = Utc::now();
        let lead = Lead {
            id: 1,
            name: "Ada".into(),
            email: "ada@example.com".into(),
            company: "Engines".into(),
            phone: String::new(),
            status: LeadStatus::New,
            source: String::new(),
            notes: String::new(),
            created_at: now,
            updated_at: now,
        };
        let patch = LeadPatch {
            status: Some("won".into()),
            ..Default::default()
        };
        let draft = patch.apply_to(&lead);
        assert_eq!(draft.name, "Ada");
        assert_eq!(draft.company, "Engines");
        assert_eq!(draft.status, "won");
    }

    #[test]
    fn unknown_json_fields_are_refused() {
        let err = serde_json::from_str::<LeadDraft>(r#"{"name":"A","colour":"red"}"#);
        assert!(err.is_err());
        let ok: LeadDraft = serde_json::from_str(r#"{"name":"A"}"#).unwrap();
        assert_eq!(ok.status, "new");
    }
}
