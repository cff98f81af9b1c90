//! Text rules that every feature applies to what people type.

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

/// A value a spreadsheet would run as a formula (it starts with `=`, `+`,
/// `-`, `@`, tab or CR) gets a leading `'`: exports hold users' and
/// clients' text (OWASP's CSV injection advice).
pub fn spreadsheet_safe(value: &str) -> std::borrow::Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}").into()
    } else {
        value.into()
    }
}

/// How many characters a password has at least and at most: the account
/// rule, which the sign-in forms also state.
pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 128;

/// Text as search compares it: lower case, accents dropped (é is e), as
/// SQLite's trigram index (`remove_diacritics`) and PostgreSQL's
/// `leadline_fold` (unaccent) read the rows.
#[cfg(feature = "ssr")]
pub fn fold(text: &str) -> String {
    use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};
    text.to_lowercase()
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .collect()
}

/// `text`, at most `max` characters (cut on a character, never inside one).
pub fn capped(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::fold;

    #[test]
    fn folding_drops_case_and_accents_and_keeps_the_rest() {
        assert_eq!(fold("Élodie@MAIL.example"), "elodie@mail.example");
        assert_eq!(fold("Ça-Señor_Zoë+1"), "ca-senor_zoe+1");
        assert_eq!(fold("東京@例え.jp"), "東京@例え.jp");
        assert_eq!(fold(""), "");
    }

    #[test]
    fn text_is_capped_at_characters_not_bytes() {
        use super::capped;
        assert_eq!(capped("héllo", 2), "hé");
        assert_eq!(capped("hé", 5), "hé");
        assert_eq!(capped("", 0), "");
    }
}
