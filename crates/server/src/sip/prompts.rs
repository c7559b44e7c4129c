//! Prompt audio for SIP calls: the IVR's rendered prompt text spoken by espeak-ng, resampled to
//! 8 kHz. Rendered on first use and kept in memory and on disk (`<data-dir>/prompts/`, one raw
//! 16-bit 8 kHz file per voice and text), so a prompt is synthesised once per server, not per
//! call; `helpline ivr render-prompts` fills that directory ahead of time. Without espeak-ng a
//! prompt is a soft tone as long as the text would take to say, so calls still work.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tokio::sync::OnceCell;

/// The speech synthesiser's program name.
pub const ESPEAK: &str = "espeak-ng";

/// 8 kHz linear samples.
pub type Audio = Arc<Vec<i16>>;

pub struct Prompts {
    dir: Option<PathBuf>,
    cache: Mutex<HashMap<String, Arc<OnceCell<Audio>>>>,
    /// Whether espeak-ng is on the PATH (checked once).
    espeak: bool,
}

impl std::fmt::Debug for Prompts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prompts")
            .field("dir", &self.dir)
            .field("espeak", &self.espeak)
            .finish_non_exhaustive()
    }
}

/// The espeak-ng voice for a prompt's language.
pub fn voice_for(lang: domain::Lang) -> &'static str {
    match lang.code() {
        "en" => "en-us",
        "es" => "es-419",
        "pt" => "pt-br",
        "zh" => "cmn",
        other => other,
    }
}

pub fn espeak_available() -> bool {
    std::process::Command::new(ESPEAK)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Prompts {
    /// `dir`: where rendered prompts are kept between runs (`None`: memory only).
    pub fn new(dir: Option<PathBuf>) -> Prompts {
        let espeak = espeak_available();
        if !espeak {
            tracing::warn!(
                "{ESPEAK} is not installed: SIP callers hear tones instead of spoken prompts"
            );
        }
        Prompts {
            dir,
            cache: Mutex::new(HashMap::new()),
            espeak,
        }
    }

    fn key(voice: &str, text: &str) -> String {
        let digest = Sha256::digest(format!("{voice}\n{text}").as_bytes());
        hex::encode(&digest[..12])
    }

    /// The audio of `text` in `voice`.
    pub async fn speak(&self, voice: &str, text: &str) -> Audio {
        let key = Self::key(voice, text);
        let cell = {
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            cache.entry(key.clone()).or_default().clone()
        };
        cell.get_or_init(|| self.load_or_render(key, voice, text))
            .await
            .clone()
    }

    async fn load_or_render(&self, key: String, voice: &str, text: &str) -> Audio {
        let path = self.dir.as_ref().map(|d| d.join(format!("{key}.s16")));
        if let Some(path) = &path
            && let Ok(bytes) = tokio::fs::read(path).await
        {
            return Arc::new(
                bytes
                    .chunks_exact(2)
                    .map(|c| i16::from_le_bytes([c[0], c[1]]))
                    .collect(),
            );
        }
        let samples = if self.espeak {
            match render(voice, text).await {
                Ok(samples) => samples,
                Err(err) => {
                    tracing::warn!(error = %err, voice, "prompt not synthesised; playing a tone");
                    stand_in(text)
                }
            }
        } else {
            stand_in(text)
        };
        if self.espeak
            && let Some(path) = &path
        {
            let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
            let written = async {
                if let Some(parent) = path.parent() {
                    tokio::fs::create_dir_all(parent).await?;
                }
                // Write then rename, so a concurrent reader never sees half a file.
                let tmp = path.with_extension("tmp");
                tokio::fs::write(&tmp, &bytes).await?;
                tokio::fs::rename(&tmp, path).await
            }
            .await;
            if let Err(err) = written {
                tracing::warn!(error = %err, "could not keep a rendered prompt on disk");
            }
        }
        Arc::new(samples)
    }
}

/// A tone as long as the text would take to say (about 60 ms a character, at most 4 s).
fn stand_in(text: &str) -> Vec<i16> {
    let millis = (u32::try_from(text.chars().count()).unwrap_or(u32::MAX))
        .saturating_mul(60)
        .clamp(300, 4000);
    sip::g711::tone(millis, 440.0)
}

/// Runs espeak-ng (text on standard input, so no text is ever taken for an option) and
/// resamples its WAV to 8 kHz.
pub async fn render(voice: &str, text: &str) -> anyhow::Result<Vec<i16>> {
    let mut child = tokio::process::Command::new(ESPEAK)
        .args(["-v", voice, "-s", "165", "--stdout"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(text.as_bytes()).await?;
    }
    let out = child.wait_with_output().await?;
    if !out.status.success() {
        anyhow::bail!(
            "{ESPEAK} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let (samples, rate) = sip::g711::read_wav(&out.stdout)
        .ok_or_else(|| anyhow::anyhow!("{ESPEAK} wrote no 16-bit mono WAV"))?;
    Ok(sip::g711::resample_to_8k(&samples, rate))
}
