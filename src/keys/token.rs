//! The API key's format: `sk_` + an 8-character id + `_` + 32 characters,
//! the last 6 a checksum; the 14-character prefix that is safe to show; the
//! scan for keys in text. Shared by the server, the browser and the tests.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::platform::secret::TokenHash;

/// `sk_` + 8 base62 + `_` + 32 base62: 44 characters.
pub const KEY_LEN: usize = 3 + ID_LEN + 1 + SECRET_LEN;
/// The part of a key shown in the list, the audit log and error messages.
pub const PREFIX_LEN: usize = 14;
const ID_LEN: usize = 8;
const SECRET_LEN: usize = 32;
/// The last characters of the secret: a base62 CRC32 of everything before.
const CHECKSUM_LEN: usize = 6;
/// Characters drawn at random: the 8 of the id and the 26 of the secret
/// before the checksum, 34 × log2(62) ≈ 202.4 bits.
pub const RANDOM_CHARS: usize = ID_LEN + SECRET_LEN - CHECKSUM_LEN;
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

    /// A new key: 34 base62 characters from the OS CSPRNG (about 202 bits),
    /// then the checksum.
    #[cfg(feature = "ssr")]
    pub fn generate() -> Self {
        use rand::{rngs::OsRng, Rng};
        let draw = |n: usize| -> String {
            (0..n)
                .map(|_| BASE62[OsRng.gen_range(0..BASE62.len())] as char)
                .collect()
        };
        Self::seal(&format!(
            "sk_{}_{}",
            draw(ID_LEN),
            draw(SECRET_LEN - CHECKSUM_LEN)
        ))
        .expect("a generated body has the key's shape")
    }

    /// A key from its first 38 characters, with the checksum appended.
    #[cfg(feature = "ssr")]
    pub fn seal(body: &str) -> Result<Self, MalformedKey> {
        let mut key = body.to_owned();
        key.extend(checksum(body.as_bytes()).iter().map(|&b| b as char));
        Self::parse(&key)
    }

    /// Whether the last 6 characters are the checksum of the rest: a
    /// mistyped, truncated-and-padded or made-up token almost never is
    /// (one chance in 2^32). Keys made before checksums are the exception
    /// the caller knows about.
    #[cfg(feature = "ssr")]
    pub fn has_valid_checksum(&self) -> bool {
        let (body, sum) = self.0.as_bytes().split_at(KEY_LEN - CHECKSUM_LEN);
        checksum(body) == sum
    }

    pub fn prefix(&self) -> KeyPrefix {
        KeyPrefix(self.0[..PREFIX_LEN].to_owned())
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }

    /// The plaintext, for the one time it is shown to its creator.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Base62 of the CRC32 of `body`, 6 digits (62^6 > 2^32), most significant
/// first.
#[cfg(feature = "ssr")]
fn checksum(body: &[u8]) -> [u8; CHECKSUM_LEN] {
    let mut n = crc32fast::hash(body);
    let mut out = [b'0'; CHECKSUM_LEN];
    for digit in out.iter_mut().rev() {
        *digit = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out
}

/// Keys with a valid checksum in `text`, with their byte offsets: what
/// `leadline key scan` reports. A key glued to more letters or digits is a
/// near-miss (part of a longer token), not a key.
#[cfg(feature = "ssr")]
pub fn find_keys(text: &str) -> Vec<(usize, ApiKey)> {
    let bytes = text.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    text.match_indices("sk_")
        .filter_map(|(at, _)| {
            let end = at + KEY_LEN;
            let candidate = text.get(at..end)?;
            let bounded =
                (at == 0 || !is_word(bytes[at - 1])) && bytes.get(end).is_none_or(|&b| !is_word(b));
            let key = ApiKey::parse(candidate).ok()?;
            (bounded && key.has_valid_checksum()).then_some((at, key))
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(hash, TokenHash::of(SAMPLE));
        assert_ne!(hash, TokenHash::of(&SAMPLE.replace('J', "K")));
        // Known vector: SHA-256("abc").
        assert_eq!(
            TokenHash::of("abc").as_str(),
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
    fn generated_keys_carry_a_valid_checksum_and_one_typo_breaks_it() {
        for _ in 0..2000 {
            let key = ApiKey::generate();
            assert!(key.has_valid_checksum(), "{key:?}");
            let raw = key.expose();
            for at in [3, 12, 30, 38, 43] {
                let mut typo: Vec<u8> = raw.as_bytes().to_vec();
                typo[at] = if typo[at] == b'a' { b'b' } else { b'a' };
                let typo = ApiKey::parse(std::str::from_utf8(&typo).unwrap()).unwrap();
                assert!(!typo.has_valid_checksum(), "typo at {at} of {key:?}");
            }
            // Two characters swapped.
            let mut swapped: Vec<u8> = raw.as_bytes().to_vec();
            swapped.swap(20, 21);
            if swapped[20] != swapped[21] {
                let swapped = ApiKey::parse(std::str::from_utf8(&swapped).unwrap()).unwrap();
                assert!(!swapped.has_valid_checksum());
            }
        }
        // 34 random base62 characters: at least 160 bits.
        assert!(RANDOM_CHARS as f64 * 62f64.log2() > 202.0);
    }

    #[test]
    fn a_random_token_of_the_right_shape_almost_never_passes_the_checksum() {
        // The documented sample predates checksums; so does any hand-made token.
        assert!(!ApiKey::parse(SAMPLE).unwrap().has_valid_checksum());
        let passed = (0..100_000)
            .filter(|i| {
                let token = format!("sk_AbCd1234_{:0>32}", i);
                ApiKey::parse(&token).unwrap().has_valid_checksum()
            })
            .count();
        assert_eq!(passed, 0, "one in 2^32 expected");
    }

    #[test]
    fn the_checksum_is_the_base62_crc32_of_the_rest() {
        let body = "sk_AbCd1234_0123456789abcdefghijABCDEF";
        let n = crc32fast::hash(body.as_bytes());
        let mut expected = String::new();
        let mut m = n;
        for _ in 0..6 {
            expected.insert(0, BASE62[(m % 62) as usize] as char);
            m /= 62;
        }
        let key = ApiKey::parse(&format!("{body}{expected}")).unwrap();
        assert!(key.has_valid_checksum());
    }

    #[test]
    fn scanning_finds_keys_and_ignores_near_misses() {
        let key = ApiKey::generate();
        let raw = key.expose();
        let mut typo = raw.to_owned();
        typo.replace_range(20..21, if &raw[20..21] == "x" { "y" } else { "x" });
        let text = format!(
            "token = \"{raw}\"\n\
             typo: {typo}\n\
             glued: a{raw}\n\
             longer: {raw}Z\n\
             truncated: {}\n\
             sample: {SAMPLE}\n\
             again at end:{raw}",
            &raw[..43]
        );
        let found: Vec<usize> = find_keys(&text).into_iter().map(|(at, _)| at).collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(&text[found[0]..found[0] + KEY_LEN], raw);
        assert!(text.ends_with(&text[found[1]..]));
    }
}
