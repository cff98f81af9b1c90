//! Secret tokens: the random ones behind sessions, invitation links and
//! reset links (256 bits from the OS CSPRNG, hex-encoded), and the SHA-256
//! that is all the server keeps of any token, API keys included.

use std::fmt;

use sha2::{Digest, Sha256};

/// SHA-256 of a secret token (an API key, a session, an invitation or reset
/// link), hex-encoded: the only form of a secret that is ever stored. Held
/// inline (every API request hashes its key).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash([u8; 64]);

impl TokenHash {
    pub fn of(raw: &str) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let digest = Sha256::digest(raw.as_bytes());
        let mut hex = [0; 64];
        for (pair, byte) in hex.chunks_exact_mut(2).zip(digest) {
            pair[0] = HEX[usize::from(byte >> 4)];
            pair[1] = HEX[usize::from(byte & 0x0f)];
        }
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("hex digits are ASCII")
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(…)")
    }
}

#[cfg(feature = "ssr")]
use rand::RngCore;

#[cfg(feature = "ssr")]
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Whether `token` has the shape of one: checked before any look-up.
#[cfg(feature = "ssr")]
pub fn is_token(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_64_hex_characters_and_differ() {
        let (a, b) = (new_token(), new_token());
        assert!(is_token(&a) && is_token(&b));
        assert_ne!(a, b);
        assert!(!is_token("not-a-token") && !is_token(&"g".repeat(64)));
    }
}
