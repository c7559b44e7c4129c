//! Settings: built-in defaults, then a TOML file, then `HELPLINE_*` environment variables
//! (`__` separates sections: `HELPLINE_SERVER__ADDR`), then command-line flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Every setting, with a default that works for the demo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Where the SQLite database, generated secrets and uploads live.
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://USER@HOST/DB`; empty = `sqlite://<data_dir>/helpline.sqlite`.
    pub database_url: String,
    pub server: ServerSettings,
    pub auth: AuthSettings,
    pub log: LogSettings,
    pub telephony: TelephonySettings,
    /// Cases (product §3): reopen window, auto-close, complaint deadlines, SLA targets.
    pub cases: cases::CaseRules,
    pub fraud: crate::fraud::FraudSettings,
    /// Email, social media, secure messages, mail and fax (issue 7).
    pub channels: ChannelSettings,
    pub notifications: crate::notify::NotificationSettings,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// The URL users and webhooks reach this server at (used for links and webhook signatures);
    /// empty = `http://<addr>`. An `https://` URL also marks session cookies `Secure`.
    pub public_url: String,
    /// Largest accepted request body, in bytes (uploads included).
    pub max_body_bytes: usize,
    /// A request that takes longer is answered 503.
    pub request_timeout_seconds: u64,
    /// Connections for readers (PostgreSQL: for everything).
    pub database_connections: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// How long a login lasts.
    pub session_hours: u32,
    /// Failed or successful login attempts allowed per minute, per account and per client address.
    pub login_attempts_per_minute: u32,
    /// Shortest password accepted for staff and cardholders.
    pub min_password_length: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `text` for people, `json` for log collectors.
    pub format: LogFormat,
    /// A tracing filter such as `info` or `info,server=debug`; `RUST_LOG` wins when set.
    pub filter: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelephonySettings {
    /// The auth token that signs TwiML webhooks (`X-Twilio-Signature`); empty = generated
    /// into the data directory's secrets file.
    pub twiml_auth_token: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./helpline-data"),
            database_url: String::new(),
            server: ServerSettings::default(),
            auth: AuthSettings::default(),
            log: LogSettings::default(),
            telephony: TelephonySettings::default(),
            cases: cases::CaseRules::default(),
            fraud: crate::fraud::FraudSettings::default(),
            notifications: crate::notify::NotificationSettings::default(),
            channels: ChannelSettings::default(),
        }
    }
}

/// Email, social media and paper channels (issue 7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelSettings {
    /// The HMAC-SHA256 secret the social-media webhook signs its body with
    /// (`X-Helpline-Signature: sha256=<hex>`). Empty: the webhook refuses every request.
    pub social_webhook_secret: String,
    /// Our outbound mail's `X-Loop` value; inbound mail carrying it is our own coming back.
    pub email_loop_marker: String,
    /// The domain of the Message-IDs of outbound case email.
    pub email_domain: String,
    /// How replies are signed and who the first direct message says is writing.
    pub company_name: String,
}

impl Default for ChannelSettings {
    fn default() -> Self {
        Self {
            social_webhook_secret: String::new(),
            email_loop_marker: "support@helpline.example".to_owned(),
            email_domain: "helpline.example".to_owned(),
            company_name: "Helpline Card Services".to_owned(),
        }
    }
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: String::new(),
            max_body_bytes: 10 * 1024 * 1024,
            request_timeout_seconds: 30,
            database_connections: 8,
        }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            session_hours: 12,
            login_attempts_per_minute: 10,
            min_password_length: 10,
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            filter: "info".to_owned(),
        }
    }
}

/// Values given on the command line; they override every other layer.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {path} does not exist")]
    MissingFile { path: PathBuf },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Settings {
    /// Reads the layers. `file` is `--config`; without it, `./helpline.toml` is read if present.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Settings, ConfigError> {
        Self::figment(file, overrides)?
            .extract()
            .map_err(|e| ConfigError::Invalid(e.to_string()))
    }

    fn figment(file: Option<&Path>, overrides: &Overrides) -> Result<Figment, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match file {
            Some(path) if !path.exists() => {
                return Err(ConfigError::MissingFile {
                    path: path.to_owned(),
                });
            }
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None => figment = figment.merge(Toml::file("helpline.toml")),
        }
        Ok(figment
            .merge(
                Env::prefixed("HELPLINE_")
                    .split("__")
                    .filter(|key| names_a_setting(key.as_str())),
            )
            .merge(Serialized::defaults(overrides)))
    }

    /// `HELPLINE_*` variables that name no setting (and no other documented use): likely typos
    /// worth a warning. They are ignored rather than refused, because tools share the prefix.
    pub fn unknown_env_vars() -> Vec<String> {
        const OTHER_USES: [&str; 5] = [
            "secrets_file",
            "test_pg_url",
            "test_backend",
            "browser_tests",
            "shared_data",
        ];
        std::env::vars()
            .filter_map(|(k, _)| k.strip_prefix("HELPLINE_").map(str::to_lowercase))
            .filter(|k| !names_a_setting(k) && !OTHER_USES.contains(&k.as_str()))
            .map(|k| format!("HELPLINE_{}", k.to_uppercase()))
            .collect()
    }

    pub fn database_url(&self) -> String {
        if self.database_url.is_empty() {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("helpline.sqlite").display()
            )
        } else {
            self.database_url.clone()
        }
    }

    pub fn public_url(&self) -> String {
        if self.server.public_url.is_empty() {
            format!("http://{}", self.server.addr)
        } else {
            self.server.public_url.trim_end_matches('/').to_owned()
        }
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url().starts_with("https://")
    }

    /// A fully commented example file (`helpline config example`).
    pub fn example_toml() -> &'static str {
        include_str!("../helpline.example.toml")
    }
}

/// Whether an environment key (after `HELPLINE_`) addresses a setting: a top-level value or a
/// section's key. The key may come already split (`telephony.twiml_auth_token`: figment maps
/// keys before it filters them) or as written (`TELEPHONY__TWIML_AUTH_TOKEN`).
fn names_a_setting(key: &str) -> bool {
    let key = key.to_lowercase().replace("__", ".");
    match key.split_once('.') {
        Some((section, _)) => [
            "server",
            "auth",
            "log",
            "telephony",
            "cases",
            "fraud",
            "channels",
            "notifications",
        ]
        .contains(&section),
        None => ["data_dir", "database_url"].contains(&key.as_str()),
    }
}

/// Settings as TOML, e.g. for `helpline config check`.
pub fn to_toml(settings: &Settings) -> Result<String, toml::ser::Error> {
    toml::to_string(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_is_valid_and_matches_the_defaults() {
        let parsed: Settings = toml::from_str(Settings::example_toml()).expect("example parses");
        assert_eq!(parsed, Settings::default());
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's test jail returns its own error type
    fn section_settings_come_from_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("HELPLINE_TELEPHONY__TWIML_AUTH_TOKEN", "from-env");
            jail.set_env("HELPLINE_SERVER__PUBLIC_URL", "https://help.example.com");
            let s = Settings::load(None, &Overrides::default()).expect("settings");
            assert_eq!(s.telephony.twiml_auth_token, "from-env");
            assert_eq!(s.server.public_url, "https://help.example.com");
            jail.set_env(
                "HELPLINE_CHANNELS__SOCIAL_WEBHOOK_SECRET",
                "social-from-env",
            );
            let s = Settings::load(None, &Overrides::default()).expect("settings");
            assert_eq!(s.channels.social_webhook_secret, "social-from-env");
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_name() {
        let err = toml::from_str::<Settings>("[server]\nadress = \"1.2.3.4:5\"").unwrap_err();
        assert!(err.to_string().contains("adress"), "{err}");
    }

    #[test]
    fn derived_urls() {
        let mut s = Settings::default();
        assert_eq!(
            s.database_url(),
            "sqlite://./helpline-data/helpline.sqlite?mode=rwc"
        );
        assert_eq!(s.public_url(), "http://127.0.0.1:8080");
        assert!(!s.secure_cookies());
        s.server.public_url = "https://help.example.com/".to_owned();
        assert_eq!(s.public_url(), "https://help.example.com");
        assert!(s.secure_cookies());
    }
}
