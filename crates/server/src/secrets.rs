//! Keys that must never be in the repository: generated once into the data directory
//! (`secrets.toml`, mode 0600) and reused, or supplied by the operator via `HELPLINE_SECRETS_FILE`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// The secrets file as stored: hex-encoded keys.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretsFile {
    /// Keyed hashes for look-ups (card numbers, tokens).
    hmac_key: String,
    /// Data-encryption keys by id; old ids stay so that old ciphertexts remain readable.
    data_keys: BTreeMap<String, String>,
    /// The id of the key new ciphertexts use.
    active_data_key: String,
    /// Signs TwiML webhooks unless the configuration sets one.
    twiml_auth_token: String,
}

/// Loaded secrets. `Debug` shows nothing secret.
#[derive(Clone)]
pub struct Secrets {
    pub hmac_key: [u8; 32],
    pub data_keys: BTreeMap<String, [u8; 32]>,
    pub active_data_key: String,
    pub twiml_auth_token: String,
    pub path: PathBuf,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("path", &self.path)
            .field("active_data_key", &self.active_data_key)
            .finish_non_exhaustive()
    }
}

/// Random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The OS generator failing means the machine cannot do cryptography at all.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    bytes
}

impl Secrets {
    /// Reads the secrets file, creating it with fresh keys (mode 0600) when it does not exist.
    /// Returns whether it was created.
    pub fn load_or_create(path: &Path) -> anyhow::Result<(Secrets, bool)> {
        let created = if path.exists() {
            false
        } else {
            let fresh = SecretsFile {
                hmac_key: URL_SAFE_NO_PAD.encode(random_bytes::<32>()),
                data_keys: BTreeMap::from([(
                    "k1".to_owned(),
                    URL_SAFE_NO_PAD.encode(random_bytes::<32>()),
                )]),
                active_data_key: "k1".to_owned(),
                twiml_auth_token: URL_SAFE_NO_PAD.encode(random_bytes::<16>()),
            };
            write_private(path, &toml::to_string(&fresh)?)
                .with_context(|| format!("while writing new secrets to {}", path.display()))?;
            true
        };
        Ok((Secrets::load(path)?, created))
    }

    /// Reads an existing secrets file (never creates one).
    pub fn load(path: &Path) -> anyhow::Result<Secrets> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("while reading secrets from {}", path.display()))?;
        let file: SecretsFile = toml::from_str(&text)
            .with_context(|| format!("secrets file {} is not valid", path.display()))?;
        Secrets::from_file(file, path)
            .with_context(|| format!("secrets file {} is not valid", path.display()))
    }

    fn from_file(file: SecretsFile, path: &Path) -> anyhow::Result<Secrets> {
        let data_keys = file
            .data_keys
            .iter()
            .map(|(id, key)| {
                Ok((
                    id.clone(),
                    key32(key).with_context(|| format!("data key {id}"))?,
                ))
            })
            .collect::<anyhow::Result<BTreeMap<_, _>>>()?;
        if !data_keys.contains_key(&file.active_data_key) {
            bail!(
                "active_data_key {:?} is not among data_keys",
                file.active_data_key
            );
        }
        Ok(Secrets {
            hmac_key: key32(&file.hmac_key).context("hmac_key")?,
            data_keys,
            active_data_key: file.active_data_key,
            twiml_auth_token: file.twiml_auth_token,
            path: path.to_owned(),
        })
    }
}

/// A 32-byte key: base64url (what this release writes; hex runs look like card numbers to
/// scanners) or 64 hex digits (what earlier releases wrote).
fn key32(text: &str) -> anyhow::Result<[u8; 32]> {
    let text = text.trim();
    let bytes = if text.len() == 64 {
        hex::decode(text).context("64 characters but not hexadecimal")?
    } else {
        URL_SAFE_NO_PAD
            .decode(text)
            .context("neither base64url nor hexadecimal")?
    };
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| anyhow::anyhow!("is {} bytes, expected 32", b.len()))
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_created_once_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.toml");
        let (first, created) = Secrets::load_or_create(&path).unwrap();
        assert!(created);
        let (second, created_again) = Secrets::load_or_create(&path).unwrap();
        assert!(!created_again);
        assert_eq!(first.hmac_key, second.hmac_key);
        assert_eq!(first.data_keys, second.data_keys);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!format!("{first:?}").contains(&URL_SAFE_NO_PAD.encode(first.hmac_key)));
    }

    #[test]
    fn keys_read_in_base64url_and_in_the_hex_earlier_releases_wrote() {
        let key = [0x5au8; 32];
        assert_eq!(key32(&URL_SAFE_NO_PAD.encode(key)).unwrap(), key);
        assert_eq!(key32(&hex::encode(key)).unwrap(), key);
        assert!(key32("not a key").is_err());
        assert!(key32(&URL_SAFE_NO_PAD.encode([1u8; 16])).is_err());
    }

    #[test]
    fn a_broken_secrets_file_says_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.toml");
        std::fs::write(
            &path,
            "hmac_key = \"abcd\"\ndata_keys = {}\nactive_data_key = \"k1\"\ntwiml_auth_token = \"x\"\n",
        )
        .unwrap();
        let err = format!("{:#}", Secrets::load_or_create(&path).unwrap_err());
        assert!(err.contains("is not valid"), "{err}");
    }
}
