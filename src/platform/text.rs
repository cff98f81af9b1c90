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

/// How many characters a password has at least and at most: the account
/// rule, which the sign-in forms also state.
pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 128;
