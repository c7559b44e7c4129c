//! Opaque bearer secrets (session cookies, API tokens): random, shown once, stored as SHA-256.

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::secrets::random_bytes;

/// A new secret with a recognisable prefix (`hl_` API tokens, `hs_` sessions).
pub fn generate(prefix: &str) -> String {
    let bytes = random_bytes::<32>();
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// The stored form. Tokens carry 256 random bits, so a fast hash is enough.
pub fn digest(token: &str) -> String {
    fingerprint(token)
}

/// SHA-256 in base64url: stored digests (tokens, idempotent request bodies). Not hex, whose
/// long digit runs card-number scanners take for card numbers.
pub fn fingerprint(text: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_hash_stably() {
        let a = generate("hl_");
        assert!(a.starts_with("hl_") && a.len() > 40);
        assert_ne!(a, generate("hl_"));
        assert_eq!(digest(&a), digest(&a));
        assert_ne!(digest(&a), a);
    }
}
