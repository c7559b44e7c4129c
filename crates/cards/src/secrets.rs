//! Card-data cryptography: the keyed look-up hash, encryption at rest, security-code hashes and
//! PIN hashes. Keys come from the edge's configuration; randomness is passed in.

use std::collections::BTreeMap;
use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::CardId;
use hmac::{Hmac, Mac};
use rand_core::CryptoRng;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::pan::{Pan, SecurityCode};
use crate::pin::Pin;

type HmacSha256 = Hmac<Sha256>;

/// Domain-separation labels, so that one HMAC key never yields the same tag for two purposes.
const PAN_LOOKUP_LABEL: &[u8] = b"helpline/pan-lookup/v1\0";
const SECURITY_CODE_LABEL: &[u8] = b"helpline/security-code/v1\0";
const PIN_PEPPER_LABEL: &[u8] = b"helpline/pin-pepper/v1";
const PAN_AAD_LABEL: &[u8] = b"helpline/pan/v1\0";
const ENCRYPTED_PAN_VERSION: &str = "v1";
const NONCE_LEN: usize = 12;
const MIN_HMAC_KEY_LEN: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeysError {
    #[error("the card-data HMAC key has {0} bytes; it needs at least 32 (64 hex characters)")]
    HmacKeyTooShort(usize),
    #[error(
        "key id {0:?} is not valid; use 1 to 32 letters, digits, '-' or '_' (e.g. \"2026-01\")"
    )]
    BadKeyId(String),
    #[error("encryption key id {0:?} is listed twice; give each key its own id")]
    DuplicateKeyId(String),
    #[error(
        "the active encryption key {0:?} is not among the configured keys; add it or pick another"
    )]
    ActiveKeyMissing(String),
    #[error("a key must be 64 hexadecimal characters (32 bytes); this one is not")]
    BadKeyHex,
    #[error("PIN hashing parameters are not usable: {0}")]
    BadPinParams(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error(
        "the card number was encrypted with key {0:?}, which is not configured; add that key back to the key list"
    )]
    UnknownKey(String),
    #[error(
        "the encrypted card number does not authenticate: it was altered, belongs to another card, or the key under its id changed"
    )]
    Tampered,
    #[error(
        "the encrypted card number is not in the expected form \"v1.<key id>.<nonce hex>.<ciphertext hex>\""
    )]
    Malformed,
    #[error("PIN hashing failed: {0}")]
    PinHash(String),
}

/// Names one encryption key, so that stored ciphertexts say which key opens them.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct KeyId(String);

impl KeyId {
    pub fn parse(text: &str) -> Result<Self, KeysError> {
        let ok = (1..=32).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(KeyId(text.to_owned()))
        } else {
            Err(KeysError::BadKeyId(text.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for KeyId {
    type Error = KeysError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        KeyId::parse(&text)
    }
}

impl From<KeyId> for String {
    fn from(id: KeyId) -> Self {
        id.0
    }
}

/// A 32-byte secret, wiped when dropped.
pub type KeyBytes = Zeroizing<[u8; 32]>;

/// Decodes a 32-byte key written as 64 hex characters (the form the configuration uses).
pub fn parse_key_hex(text: &str) -> Result<KeyBytes, KeysError> {
    let mut key = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(text.trim(), key.as_mut()).map_err(|_| KeysError::BadKeyHex)?;
    Ok(key)
}

/// Cost of the PIN hash (argon2id). PINs have few possible values, so the hash is also keyed
/// with a secret pepper derived from the HMAC key: a stolen database alone cannot be brute-forced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PinHashParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for PinHashParams {
    /// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl PinHashParams {
    /// The cheapest parameters argon2 accepts: for tests and simulations only.
    pub const fn insecure_fast_for_tests() -> Self {
        Self {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
        }
    }

    fn to_argon2(self) -> Result<Params, KeysError> {
        Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| KeysError::BadPinParams(e.to_string()))
    }
}

/// The card-data keys, built by the edge from its configuration.
pub struct Keys {
    /// HMAC-SHA256 keyed with the configured HMAC key, cloned for each use.
    mac: HmacSha256,
    pin_pepper: Zeroizing<[u8; 32]>,
    encryption: BTreeMap<KeyId, KeyBytes>,
    active: KeyId,
    pin_params: Params,
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keys")
            .field(
                "encryption_key_ids",
                &self.encryption.keys().collect::<Vec<_>>(),
            )
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

/// A keyed hash (HMAC-SHA256) of a full card number: the look-up column.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PanLookup([u8; 32]);

/// A keyed hash of a security code, bound to one card.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SecurityCodeHash([u8; 32]);

/// Stored binary values are base64url, not hex: a long hex string is often 16 decimal digits
/// in a row somewhere, which card-number scanners (rightly) flag as a card number in clear.
fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Reads [`encode`]'s form, and the lowercase hex that earlier releases wrote (a base64url
/// value of these sizes is all lowercase hex digits with negligible probability).
fn decode(text: &str) -> Result<Vec<u8>, CryptoError> {
    let legacy_hex = text.len().is_multiple_of(2)
        && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if legacy_hex {
        hex::decode(text).map_err(|_| CryptoError::Malformed)
    } else {
        URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| CryptoError::Malformed)
    }
}

macro_rules! digest_type {
    ($name:ident, $what:literal) => {
        impl $name {
            pub fn to_text(&self) -> String {
                encode(&self.0)
            }

            pub fn from_text(text: &str) -> Result<Self, CryptoError> {
                let bytes = decode(text)?;
                Ok(Self(bytes.try_into().map_err(|_| CryptoError::Malformed)?))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // A prefix is enough to tell two apart in a log; the rest adds nothing.
                write!(f, concat!($what, "({}…)"), &self.to_text()[..8])
            }
        }

        impl TryFrom<String> for $name {
            type Error = CryptoError;
            fn try_from(text: String) -> Result<Self, Self::Error> {
                Self::from_text(&text)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.to_text()
            }
        }
    };
}

digest_type!(PanLookup, "PanLookup");
digest_type!(SecurityCodeHash, "SecurityCodeHash");

/// A card number encrypted with AES-256-GCM. It carries the id of its key and its nonce, and
/// its associated data binds it to one card id. Stored as one text column:
/// `v1.<key id>.<nonce>.<ciphertext+tag>`, both base64url (hex before).
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EncryptedPan {
    key_id: KeyId,
    nonce: [u8; NONCE_LEN],
    ciphertext: Vec<u8>,
}

impl EncryptedPan {
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    pub fn to_text(&self) -> String {
        format!(
            "{ENCRYPTED_PAN_VERSION}.{}.{}.{}",
            self.key_id,
            encode(&self.nonce),
            encode(&self.ciphertext)
        )
    }

    pub fn from_text(text: &str) -> Result<Self, CryptoError> {
        let mut parts = text.split('.');
        let (Some(ENCRYPTED_PAN_VERSION), Some(key_id), Some(nonce), Some(ciphertext), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(CryptoError::Malformed);
        };
        let key_id = KeyId::parse(key_id).map_err(|_| CryptoError::Malformed)?;
        Ok(Self {
            key_id,
            nonce: decode(nonce)?
                .try_into()
                .map_err(|_| CryptoError::Malformed)?,
            ciphertext: decode(ciphertext)?,
        })
    }
}

impl fmt::Debug for EncryptedPan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncryptedPan(key {})", self.key_id)
    }
}

impl TryFrom<String> for EncryptedPan {
    type Error = CryptoError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::from_text(&text)
    }
}

impl From<EncryptedPan> for String {
    fn from(value: EncryptedPan) -> Self {
        value.to_text()
    }
}

/// An argon2id PHC string of a PIN (salted, peppered). Its parameters travel with it, so
/// raising the cost later does not break stored hashes.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct PinHash(String);

impl PinHash {
    /// Wraps a hash read back from storage.
    pub fn from_stored(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PinHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinHash(argon2id)")
    }
}

impl Keys {
    /// `hmac_key`: at least 32 bytes; `encryption_keys`: AES-256 keys by id; `active`: the id
    /// new encryptions use (older ids stay for decryption until re-encrypted).
    pub fn new(
        hmac_key: &[u8],
        encryption_keys: impl IntoIterator<Item = (KeyId, KeyBytes)>,
        active: KeyId,
        pin_params: PinHashParams,
    ) -> Result<Self, KeysError> {
        if hmac_key.len() < MIN_HMAC_KEY_LEN {
            return Err(KeysError::HmacKeyTooShort(hmac_key.len()));
        }
        let mut encryption = BTreeMap::new();
        for (id, key) in encryption_keys {
            if encryption.contains_key(&id) {
                return Err(KeysError::DuplicateKeyId(id.0));
            }
            encryption.insert(id, key);
        }
        if !encryption.contains_key(&active) {
            return Err(KeysError::ActiveKeyMissing(active.0));
        }
        let mac = <HmacSha256 as KeyInit>::new_from_slice(hmac_key)
            .map_err(|_| KeysError::HmacKeyTooShort(hmac_key.len()))?;
        let pin_pepper = Zeroizing::new(digest(mac.clone(), &[PIN_PEPPER_LABEL]));
        Ok(Self {
            mac,
            pin_pepper,
            encryption,
            active,
            pin_params: pin_params.to_argon2()?,
        })
    }

    pub fn active_key_id(&self) -> &KeyId {
        &self.active
    }

    /// The look-up hash of a card number: equal numbers give equal hashes under one key.
    pub fn pan_lookup(&self, pan: &Pan) -> PanLookup {
        PanLookup(digest(
            self.mac.clone(),
            &[PAN_LOOKUP_LABEL, pan.reveal().as_bytes()],
        ))
    }

    /// Encrypts under the active key with a fresh random nonce.
    pub fn encrypt_pan(
        &self,
        card_id: CardId,
        pan: &Pan,
        rng: &mut impl CryptoRng,
    ) -> Result<EncryptedPan, CryptoError> {
        let key = self
            .encryption
            .get(&self.active)
            .ok_or_else(|| CryptoError::UnknownKey(self.active.0.clone()))?;
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let aad = pan_aad(card_id, &self.active);
        let ciphertext = cipher(key)
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: pan.reveal().as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| CryptoError::Tampered)?;
        Ok(EncryptedPan {
            key_id: self.active.clone(),
            nonce,
            ciphertext,
        })
    }

    /// Decrypts a stored card number of `card_id`; fails if it was altered or moved to another card.
    pub fn decrypt_pan(&self, card_id: CardId, sealed: &EncryptedPan) -> Result<Pan, CryptoError> {
        let key = self
            .encryption
            .get(&sealed.key_id)
            .ok_or_else(|| CryptoError::UnknownKey(sealed.key_id.0.clone()))?;
        let aad = pan_aad(card_id, &sealed.key_id);
        let plain = Zeroizing::new(
            cipher(key)
                .decrypt(
                    &Nonce::from(sealed.nonce),
                    Payload {
                        msg: &sealed.ciphertext,
                        aad: &aad,
                    },
                )
                .map_err(|_| CryptoError::Tampered)?,
        );
        let text = std::str::from_utf8(&plain).map_err(|_| CryptoError::Tampered)?;
        Pan::parse(text).map_err(|_| CryptoError::Tampered)
    }

    /// True when `sealed` is under an older key and should be re-encrypted (key rotation).
    pub fn needs_reencryption(&self, sealed: &EncryptedPan) -> bool {
        sealed.key_id != self.active
    }

    /// The keyed hash of a security code, bound to the card: the only form ever kept.
    pub fn security_code_hash(&self, card_id: CardId, code: &SecurityCode) -> SecurityCodeHash {
        SecurityCodeHash(
            self.security_code_mac(card_id, code)
                .finalize()
                .into_bytes()
                .into(),
        )
    }

    /// Constant-time comparison of `code` with the stored hash.
    pub fn verify_security_code(
        &self,
        card_id: CardId,
        code: &SecurityCode,
        stored: &SecurityCodeHash,
    ) -> bool {
        self.security_code_mac(card_id, code)
            .verify_slice(&stored.0)
            .is_ok()
    }

    fn security_code_mac(&self, card_id: CardId, code: &SecurityCode) -> HmacSha256 {
        self.mac
            .clone()
            .chain_update(SECURITY_CODE_LABEL)
            .chain_update(card_id.0.as_bytes())
            .chain_update(code.reveal().as_bytes())
    }

    /// Hashes a PIN with argon2id, a random salt from `rng` and the secret pepper.
    pub fn hash_pin(&self, pin: &Pin, rng: &mut impl CryptoRng) -> Result<PinHash, CryptoError> {
        let mut salt = [0u8; 16];
        rng.fill_bytes(&mut salt);
        let hash = self
            .pin_hasher()?
            .hash_password_with_salt(pin.reveal().as_bytes(), &salt)
            .map_err(|e| CryptoError::PinHash(e.to_string()))?;
        Ok(PinHash(hash.to_string()))
    }

    /// True when `pin` matches `stored` (constant-time inside argon2).
    pub fn verify_pin(&self, pin: &Pin, stored: &PinHash) -> bool {
        let Ok(parsed) = PasswordHash::new(&stored.0) else {
            return false;
        };
        self.pin_hasher().is_ok_and(|hasher| {
            hasher
                .verify_password(pin.reveal().as_bytes(), &parsed)
                .is_ok()
        })
    }

    fn pin_hasher(&self) -> Result<Argon2<'_>, CryptoError> {
        Argon2::new_with_secret(
            self.pin_pepper.as_ref(),
            Algorithm::Argon2id,
            Version::V0x13,
            self.pin_params.clone(),
        )
        .map_err(|e| CryptoError::PinHash(e.to_string()))
    }
}

fn cipher(key: &KeyBytes) -> Aes256Gcm {
    Aes256Gcm::new(&(**key).into())
}

fn pan_aad(card_id: CardId, key_id: &KeyId) -> Vec<u8> {
    [PAN_AAD_LABEL, card_id.0.as_bytes(), key_id.0.as_bytes()].concat()
}

fn digest(mut mac: HmacSha256, parts: &[&[u8]]) -> [u8; 32] {
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::pan::tests::valid_pan_digits;
    use crate::test_rng::TestRng;

    pub(crate) fn test_keys() -> Keys {
        keys_with(&[("k1", 1)], "k1")
    }

    fn keys_with(ids: &[(&str, u8)], active: &str) -> Keys {
        Keys::new(
            &[7u8; 32],
            ids.iter()
                .map(|(id, fill)| (KeyId::parse(id).unwrap(), Zeroizing::new([*fill; 32]))),
            KeyId::parse(active).unwrap(),
            PinHashParams::insecure_fast_for_tests(),
        )
        .unwrap()
    }

    fn sample_pan() -> Pan {
        Pan::parse(&valid_pan_digits("999900123456789")).unwrap()
    }

    #[test]
    fn encryption_round_trips_and_the_text_form_hides_the_number() {
        let keys = test_keys();
        let card = CardId::new();
        let pan = sample_pan();
        let sealed = keys.encrypt_pan(card, &pan, &mut TestRng::new(1)).unwrap();
        let text = sealed.to_text();
        assert!(text.starts_with("v1.k1."), "{text}");
        assert!(!text.contains(pan.reveal()));
        let back = EncryptedPan::from_text(&text).unwrap();
        assert_eq!(keys.decrypt_pan(card, &back).unwrap(), pan);
        let json = serde_json::to_string(&sealed).unwrap();
        assert_eq!(json, format!("\"{text}\""));
    }

    #[test]
    fn two_encryptions_of_one_number_differ() {
        let keys = test_keys();
        let card = CardId::new();
        let mut rng = TestRng::new(2);
        let a = keys.encrypt_pan(card, &sample_pan(), &mut rng).unwrap();
        let b = keys.encrypt_pan(card, &sample_pan(), &mut rng).unwrap();
        assert_ne!(a.to_text(), b.to_text());
    }

    #[test]
    fn tampering_or_moving_a_ciphertext_is_detected() {
        let keys = test_keys();
        let card = CardId::new();
        let sealed = keys
            .encrypt_pan(card, &sample_pan(), &mut TestRng::new(3))
            .unwrap();

        let mut flipped = sealed.clone();
        flipped.ciphertext[0] ^= 1;
        assert_eq!(keys.decrypt_pan(card, &flipped), Err(CryptoError::Tampered));

        let mut other_nonce = sealed.clone();
        other_nonce.nonce[0] ^= 1;
        assert_eq!(
            keys.decrypt_pan(card, &other_nonce),
            Err(CryptoError::Tampered)
        );

        assert_eq!(
            keys.decrypt_pan(CardId::new(), &sealed),
            Err(CryptoError::Tampered),
            "bound to its card id"
        );
        for garbage in ["", "v2.k1.00.00", "v1.k1.zz.00", "v1.k1.00", "v1.k.1.00.00"] {
            assert_eq!(
                EncryptedPan::from_text(garbage),
                Err(CryptoError::Malformed)
            );
        }
    }

    #[test]
    fn wrong_or_missing_key_id_is_reported() {
        let card = CardId::new();
        let old = keys_with(&[("2025", 1)], "2025");
        let sealed = old
            .encrypt_pan(card, &sample_pan(), &mut TestRng::new(4))
            .unwrap();

        let rotated = keys_with(&[("2025", 1), ("2026", 2)], "2026");
        assert!(rotated.needs_reencryption(&sealed));
        let pan = rotated.decrypt_pan(card, &sealed).unwrap();
        let resealed = rotated
            .encrypt_pan(card, &pan, &mut TestRng::new(5))
            .unwrap();
        assert_eq!(resealed.key_id().as_str(), "2026");
        assert!(!rotated.needs_reencryption(&resealed));

        let dropped = keys_with(&[("2026", 2)], "2026");
        let err = dropped.decrypt_pan(card, &sealed).unwrap_err();
        assert_eq!(err, CryptoError::UnknownKey("2025".into()));
        assert!(err.to_string().contains("\"2025\""), "{err}");

        // Same id, different key material: authentication fails rather than garbage coming out.
        let swapped = keys_with(&[("2025", 9)], "2025");
        assert_eq!(
            swapped.decrypt_pan(card, &sealed),
            Err(CryptoError::Tampered)
        );
    }

    #[test]
    fn lookup_hash_is_stable_and_keyed() {
        let keys = test_keys();
        let pan = sample_pan();
        assert_eq!(keys.pan_lookup(&pan), keys.pan_lookup(&sample_pan()));
        let other_key = Keys::new(
            &[8u8; 32],
            [(KeyId::parse("k1").unwrap(), Zeroizing::new([1; 32]))],
            KeyId::parse("k1").unwrap(),
            PinHashParams::insecure_fast_for_tests(),
        )
        .unwrap();
        assert_ne!(keys.pan_lookup(&pan), other_key.pan_lookup(&pan));
        let text = keys.pan_lookup(&pan).to_text();
        assert_eq!(PanLookup::from_text(&text).unwrap(), keys.pan_lookup(&pan));
        assert!(!format!("{:?}", keys.pan_lookup(&pan)).contains(&text));
        // What earlier releases stored still reads.
        let legacy = hex::encode(keys.pan_lookup(&pan).0);
        assert_eq!(
            PanLookup::from_text(&legacy).unwrap(),
            keys.pan_lookup(&pan)
        );
    }

    /// Card-number scanners look for runs of 13–19 digits; hex (10 digits of 16 symbols) makes
    /// one in a few hundred stored values, base64url (10 of 64) practically never.
    #[test]
    fn stored_forms_hold_no_long_digit_runs() {
        let keys = test_keys();
        let longest_digit_run = |text: &str| {
            text.split(|c: char| !c.is_ascii_digit())
                .map(str::len)
                .max()
                .unwrap_or(0)
        };
        let mut rng = TestRng::new(9);
        for i in 0..5_000u64 {
            let body = format!("411111{i:09}");
            let check = crate::pan::luhn_check_digit(&body);
            let pan = Pan::parse(&format!("{body}{check}")).unwrap();
            let card = CardId::new();
            let sealed = keys.encrypt_pan(card, &pan, &mut rng).unwrap();
            for text in [keys.pan_lookup(&pan).to_text(), sealed.to_text()] {
                assert!(longest_digit_run(&text) < 13, "{text}");
            }
        }
        let legacy = hex::encode([0x12u8, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56]);
        assert_eq!(
            longest_digit_run(&legacy),
            16,
            "the check itself finds a run"
        );
    }

    #[test]
    fn security_code_verifies_only_for_its_card_and_value() {
        let keys = test_keys();
        let card = CardId::new();
        let code = SecurityCode::parse("1234").unwrap();
        let stored = keys.security_code_hash(card, &code);
        assert!(keys.verify_security_code(card, &code, &stored));
        assert!(!keys.verify_security_code(card, &SecurityCode::parse("1235").unwrap(), &stored));
        assert!(!keys.verify_security_code(CardId::new(), &code, &stored));
        assert!(!stored.to_text().contains("1234"));
    }

    #[test]
    fn pin_hash_verifies_and_is_salted_and_peppered() {
        let keys = test_keys();
        let pin = Pin::parse("4821").unwrap();
        let mut rng = TestRng::new(6);
        let first = keys.hash_pin(&pin, &mut rng).unwrap();
        let second = keys.hash_pin(&pin, &mut rng).unwrap();
        assert!(
            first.as_str().starts_with("$argon2id$"),
            "{}",
            first.as_str()
        );
        assert_ne!(first, second, "a fresh salt each time");
        assert!(keys.verify_pin(&pin, &first));
        assert!(!keys.verify_pin(&Pin::parse("4822").unwrap(), &first));
        let other_pepper = Keys::new(
            &[9u8; 32],
            [(KeyId::parse("k1").unwrap(), Zeroizing::new([1; 32]))],
            KeyId::parse("k1").unwrap(),
            PinHashParams::insecure_fast_for_tests(),
        )
        .unwrap();
        assert!(!other_pepper.verify_pin(&pin, &first));
        assert!(!keys.verify_pin(&pin, &PinHash::from_stored("garbage".into())));
    }

    #[test]
    fn keys_are_checked_when_built() {
        let id = || KeyId::parse("k1").unwrap();
        let key = || Zeroizing::new([1u8; 32]);
        let fast = PinHashParams::insecure_fast_for_tests();
        assert_eq!(
            Keys::new(&[0; 16], [(id(), key())], id(), fast).unwrap_err(),
            KeysError::HmacKeyTooShort(16)
        );
        assert_eq!(
            Keys::new(&[0; 32], [(id(), key()), (id(), key())], id(), fast).unwrap_err(),
            KeysError::DuplicateKeyId("k1".into())
        );
        assert_eq!(
            Keys::new(&[0; 32], [(id(), key())], KeyId::parse("k2").unwrap(), fast).unwrap_err(),
            KeysError::ActiveKeyMissing("k2".into())
        );
        assert!(KeyId::parse("a.b").is_err());
        assert!(KeyId::parse("").is_err());
        assert_eq!(parse_key_hex(&"ab".repeat(32)).unwrap()[0], 0xab);
        assert_eq!(parse_key_hex("abcd"), Err(KeysError::BadKeyHex));
        let debug = format!("{:?}", test_keys());
        assert!(debug.contains("k1") && !debug.contains("[7"), "{debug}");
    }
}
