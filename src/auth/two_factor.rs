//! Two-factor sign-in: TOTP codes (RFC 6238: SHA-1, 6 digits, 30 s, what
//! every authenticator app reads) and single-use recovery codes.
//!
//! A code is accepted for the time step it matches (one step either side,
//! for clocks that drift), and only if that step is later than the last one
//! accepted for the account: a code seen over someone's shoulder, or sent
//! twice, is refused the second time. Recovery codes are stored as SHA-256.

use rand::Rng;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::platform::secret::TokenHash;

/// The issuer an authenticator app files the account under.
const ISSUER: &str = "Leadline";
const STEP_SECS: u64 = 30;
/// Steps either side of now that a code may be for.
const SKEW_STEPS: i64 = 1;
/// Recovery codes per enrolment.
pub const RECOVERY_CODES: usize = 10;
/// Letters and digits that cannot be read as one another (no 0/o, 1/l/i).
const RECOVERY_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";

/// A new secret: 160 random bits (RFC 4226's recommended length), base32.
pub fn new_secret() -> String {
    let bytes: [u8; 20] = rand::rngs::OsRng.gen();
    match Secret::Raw(bytes.to_vec()).to_encoded() {
        Secret::Encoded(base32) => base32,
        Secret::Raw(_) => unreachable!("to_encoded gives an encoded secret"),
    }
}

/// One account's authenticator.
pub struct Authenticator(TOTP);

impl Authenticator {
    /// `None` when `secret` is not a base32 secret of ours.
    pub fn new(secret: &str, email: &str) -> Option<Self> {
        let bytes = Secret::Encoded(secret.to_owned()).to_bytes().ok()?;
        TOTP::new(
            Algorithm::SHA1,
            6,
            0,
            STEP_SECS,
            bytes,
            Some(ISSUER.to_owned()),
            email.to_owned(),
        )
        .ok()
        .map(Self)
    }

    /// The `otpauth://` address an app reads from the QR code.
    pub fn url(&self) -> String {
        self.0.get_url()
    }

    /// The QR code of `url()`, as SVG drawn on the server.
    pub fn qr_svg(&self) -> String {
        use qrcode::render::svg;
        match qrcode::QrCode::new(self.url().as_bytes()) {
            Ok(code) => code
                .render::<svg::Color<'_>>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build(),
            Err(_) => String::new(),
        }
    }

    /// The code for the step that contains `unix_secs` (tests, and the CLI
    /// has no use for it).
    pub fn code_at(&self, unix_secs: u64) -> String {
        self.0.generate(unix_secs)
    }

    /// The time step `code` is for, near `unix_secs`; `None` if it is for
    /// none of them. Compared in constant time.
    pub fn step_of(&self, code: &str, unix_secs: i64) -> Option<i64> {
        let now = unix_secs.div_euclid(STEP_SECS as i64);
        (now - SKEW_STEPS..=now + SKEW_STEPS)
            .filter(|step| *step >= 0)
            .find(|step| self.0.check(code, (*step as u64) * STEP_SECS))
    }
}

/// What someone typed where the second factor is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondFactor {
    /// Six digits from the app.
    Code(String),
    /// One of the recovery codes, as stored: lower case, with its dash.
    Recovery(String),
}

impl SecondFactor {
    /// Spaces and dashes are forgiven, and case in a recovery code; anything
    /// else is none.
    pub fn parse(raw: &str) -> Option<Self> {
        let kept: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect::<String>()
            .to_ascii_lowercase();
        if kept.len() == 6 && kept.bytes().all(|b| b.is_ascii_digit()) {
            return Some(Self::Code(kept));
        }
        let recovery = kept.len() == 10 && kept.bytes().all(|b| RECOVERY_ALPHABET.contains(&b));
        recovery.then(|| Self::Recovery(format!("{}-{}", &kept[..5], &kept[5..])))
    }
}

/// Ten new recovery codes, `xxxxx-xxxxx` (about 49 bits each).
pub fn new_recovery_codes() -> Vec<String> {
    let mut rng = rand::rngs::OsRng;
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: String = (0..10)
                .map(|_| RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())] as char)
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// How a recovery code is stored.
pub fn recovery_hash(code: &str) -> String {
    TokenHash::of(code).as_str().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authenticator() -> Authenticator {
        Authenticator::new(&new_secret(), "dev@acme.test").unwrap()
    }

    #[test]
    fn a_code_matches_its_own_step_and_one_either_side_only() {
        let a = authenticator();
        let t = 1_800_000_000;
        let code = a.code_at(t as u64);
        let step = t / 30;
        assert_eq!(a.step_of(&code, t), Some(step));
        assert_eq!(a.step_of(&code, t + 30), Some(step), "a step late");
        assert_eq!(a.step_of(&code, t - 30), Some(step), "a step early");
        assert_eq!(a.step_of(&code, t + 90), None, "three steps late");
        assert_eq!(a.step_of("000000", t).filter(|_| code != "000000"), None);
    }

    #[test]
    fn the_rfc_6238_test_vector_holds() {
        // RFC 6238 appendix B, SHA-1: the secret "12345678901234567890".
        let secret = match Secret::Raw(b"12345678901234567890".to_vec()).to_encoded() {
            Secret::Encoded(s) => s,
            Secret::Raw(_) => unreachable!(),
        };
        let a = Authenticator::new(&secret, "x@y.test").unwrap();
        // 8-digit 94287082 at T=59 is 287082 in 6 digits.
        assert_eq!(a.code_at(59), "287082");
        assert_eq!(a.code_at(1_111_111_109), "081804");
    }

    #[test]
    fn the_enrolment_address_names_the_issuer_and_account() {
        let a = authenticator();
        let url = a.url();
        assert!(
            url.starts_with("otpauth://totp/Leadline:dev%40acme.test?secret="),
            "{url}"
        );
        assert!(url.contains("issuer=Leadline"));
        let svg = a.qr_svg();
        assert!(svg.contains("<svg") && svg.len() > 1000);
    }

    #[test]
    fn what_is_typed_parses_as_a_code_or_a_recovery_code() {
        assert_eq!(
            SecondFactor::parse(" 123 456 "),
            Some(SecondFactor::Code("123456".into()))
        );
        assert_eq!(
            SecondFactor::parse("ABCDE-FGHJK"),
            Some(SecondFactor::Recovery("abcde-fghjk".into()))
        );
        assert_eq!(
            SecondFactor::parse("abcdefghjk"),
            Some(SecondFactor::Recovery("abcde-fghjk".into()))
        );
        for junk in ["", "12345", "1234567", "abcde-fghj0", "password123"] {
            assert_eq!(SecondFactor::parse(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn recovery_codes_are_ten_distinct_codes_that_parse() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), RECOVERY_CODES);
        for code in &codes {
            assert_eq!(
                SecondFactor::parse(code),
                Some(SecondFactor::Recovery(code.clone()))
            );
        }
    }
}
