//! The random tokens behind sessions, invitation links and reset links:
//! 256 bits from the OS CSPRNG, hex-encoded. Only their SHA-256 is stored.

use rand::RngCore;

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Whether `token` has the shape of one: checked before any look-up.
pub fn is_token(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
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
