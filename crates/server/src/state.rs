//! What every handler can reach. No globals: each server (and each test) has its own.

use std::ops::Deref;
use std::sync::Arc;

use domain::Clock;
use store::Store;

use crate::auth::limiter::LoginLimiter;
use crate::config::Settings;
use crate::fraud::FraudMonitor;
use crate::i18n::I18n;
use crate::metrics::Metrics;
use crate::secrets::Secrets;
use crate::switchboard::Switchboard;
use crate::telephony::Telephony;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
    pub secrets: Secrets,
    pub i18n: I18n,
    pub metrics: Arc<Metrics>,
    pub login_limiter: LoginLimiter,
    /// The routing engine (product §4).
    pub switchboard: Arc<Switchboard>,
    /// The helpline directory in memory (product §1).
    pub directory: Arc<crate::directory::DirectoryIndex>,
    /// Live chat rooms (product §3).
    pub chat: Arc<crate::chat::ChatHub>,
    /// Text → intent → department (product §7): `state.intent.suggest(text)`.
    pub intent: Arc<intent::Classifier>,
    /// The fraud engine and its decision writer (product §6).
    pub fraud: Arc<FraudMonitor>,
    /// The IVR's flows and the TwiML webhook signer (product §5).
    pub telephony: Arc<Telephony>,
    /// Demo mode: the login pages show the demo password.
    pub demo: bool,
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
