//! Secure-message content sealed at rest (issue 7): AES-256-GCM under the data keys of the
//! secrets file (`data_keys`, `active_data_key`), the same keys card numbers use. Each sealed
//! value names its key id, so after a rotation (a new active key, the old one kept) old values
//! still open. The associated data binds a value to what it belongs to (a conversation, an
//! attachment digest), so a ciphertext moved to another row does not open.
//!
//! Text is stored as `s1.<key id>.<base64 nonce ‖ ciphertext ‖ tag>`.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;

use crate::secrets::{Secrets, random_bytes};

const TEXT_VERSION: &str = "s1";
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("the data key {0:?} is not in the secrets file")]
    UnknownKey(String),
    #[error("the sealed value is malformed")]
    Malformed,
    #[error("the sealed value does not open with its key (altered, or moved from another row)")]
    Tampered,
}

fn cipher(secrets: &Secrets, key_id: &str) -> Result<Aes256Gcm, SealError> {
    let key = secrets
        .data_keys
        .get(key_id)
        .ok_or_else(|| SealError::UnknownKey(key_id.to_owned()))?;
    Ok(Aes256Gcm::new(&(*key).into()))
}

/// Seals `clear` under the active key; returns the key id and nonce ‖ ciphertext ‖ tag.
pub fn seal_bytes(
    secrets: &Secrets,
    aad: &str,
    clear: &[u8],
) -> Result<(String, Vec<u8>), SealError> {
    let key_id = secrets.active_data_key.clone();
    let nonce = random_bytes::<NONCE_LEN>();
    let sealed = cipher(secrets, &key_id)?
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: clear,
                aad: aad_for(&key_id, aad).as_bytes(),
            },
        )
        .map_err(|_| SealError::Tampered)?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok((key_id, out))
}

pub fn open_bytes(
    secrets: &Secrets,
    key_id: &str,
    aad: &str,
    sealed: &[u8],
) -> Result<Vec<u8>, SealError> {
    if sealed.len() < NONCE_LEN + 16 {
        return Err(SealError::Malformed);
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let mut nonce_bytes = [0u8; NONCE_LEN];
    nonce_bytes.copy_from_slice(nonce);
    cipher(secrets, key_id)?
        .decrypt(
            &Nonce::from(nonce_bytes),
            Payload {
                msg: body,
                aad: aad_for(key_id, aad).as_bytes(),
            },
        )
        .map_err(|_| SealError::Tampered)
}

fn aad_for(key_id: &str, aad: &str) -> String {
    format!("helpline-sealed:{key_id}:{aad}")
}

/// Seals text as one storable line.
pub fn seal_text(secrets: &Secrets, aad: &str, clear: &str) -> Result<String, SealError> {
    let (key_id, sealed) = seal_bytes(secrets, aad, clear.as_bytes())?;
    Ok(format!(
        "{TEXT_VERSION}.{key_id}.{}",
        STANDARD_NO_PAD.encode(sealed)
    ))
}

pub fn open_text(secrets: &Secrets, aad: &str, stored: &str) -> Result<String, SealError> {
    let mut parts = stored.splitn(3, '.');
    let (Some(TEXT_VERSION), Some(key_id), Some(body)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(SealError::Malformed);
    };
    let sealed = STANDARD_NO_PAD
        .decode(body)
        .map_err(|_| SealError::Malformed)?;
    let clear = open_bytes(secrets, key_id, aad, &sealed)?;
    String::from_utf8(clear).map_err(|_| SealError::Tampered)
}

/// The key id a sealed text names (to find values due for re-sealing after a rotation).
pub fn key_id_of(stored: &str) -> Option<&str> {
    let mut parts = stored.splitn(3, '.');
    (parts.next() == Some(TEXT_VERSION))
        .then(|| parts.next())
        .flatten()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn secrets(active: &str) -> Secrets {
        Secrets {
            hmac_key: [1; 32],
            data_keys: BTreeMap::from([("k1".to_owned(), [7; 32]), ("k2".to_owned(), [9; 32])]),
            active_data_key: active.to_owned(),
            twiml_auth_token: String::new(),
            path: "secrets.toml".into(),
        }
    }

    #[test]
    fn text_round_trips_and_hides_the_clear_text() {
        let s = secrets("k1");
        let sealed = seal_text(&s, "conversation:1", "my card was stolen in Lisbon").expect("seal");
        assert!(!sealed.contains("Lisbon"));
        assert_eq!(key_id_of(&sealed), Some("k1"));
        assert_eq!(
            open_text(&s, "conversation:1", &sealed).expect("open"),
            "my card was stolen in Lisbon"
        );
        // Two seals of the same text differ (fresh nonce).
        assert_ne!(
            sealed,
            seal_text(&s, "conversation:1", "my card was stolen in Lisbon").expect("seal")
        );
    }

    #[test]
    fn a_value_moved_to_another_row_or_altered_does_not_open() {
        let s = secrets("k1");
        let sealed = seal_text(&s, "conversation:1", "hello").expect("seal");
        assert_eq!(
            open_text(&s, "conversation:2", &sealed),
            Err(SealError::Tampered)
        );
        let mut altered = sealed.clone().into_bytes();
        let last = altered.len() - 2;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).expect("ascii");
        assert!(open_text(&s, "conversation:1", &altered).is_err());
        assert_eq!(open_text(&s, "x", "plain text"), Err(SealError::Malformed));
    }

    #[test]
    fn old_values_open_after_the_active_key_rotates() {
        let before = secrets("k1");
        let sealed = seal_text(&before, "a", "before rotation").expect("seal");
        let after = secrets("k2");
        assert_eq!(
            open_text(&after, "a", &sealed).expect("open"),
            "before rotation"
        );
        assert_eq!(
            key_id_of(&seal_text(&after, "a", "new").expect("seal")),
            Some("k2")
        );
        let mut gone = secrets("k2");
        gone.data_keys.remove("k1");
        assert_eq!(
            open_text(&gone, "a", &sealed),
            Err(SealError::UnknownKey("k1".to_owned()))
        );
    }
}
