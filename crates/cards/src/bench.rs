//! Figures for `helpline bench cards`: how long the hot and the deliberately slow operations
//! take on this machine. Timing is the point here, so this module reads a monotonic clock.

use std::hint::black_box;
use std::time::{Duration, Instant};

use domain::{CardId, Timestamp};
use rand_core::CryptoRng;

use crate::card::{Card, can_authorize};
use crate::pan::{PanLayout, SecurityCode};
use crate::pin::Pin;
use crate::secrets::Keys;

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Pan(#[from] crate::pan::PanError),
    #[error(transparent)]
    Pin(#[from] crate::pin::PinError),
    #[error(transparent)]
    Crypto(#[from] crate::secrets::CryptoError),
}

/// Mean time per operation.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Figures {
    pub can_authorize_ns: f64,
    pub pan_lookup_hash_ns: f64,
    pub encrypt_pan_ns: f64,
    pub decrypt_pan_ns: f64,
    pub security_code_verify_ns: f64,
    pub pin_hash_ms: f64,
    pub pin_verify_ms: f64,
}

fn mean<T>(iterations: u32, mut op: impl FnMut() -> T) -> Duration {
    let start = Instant::now();
    for _ in 0..iterations {
        black_box(op());
    }
    start.elapsed() / iterations.max(1)
}

/// Runs each operation `iterations` times (the PIN hash `pin_iterations` times) with `keys`.
pub fn run(
    keys: &Keys,
    rng: &mut impl CryptoRng,
    iterations: u32,
    pin_iterations: u32,
    now: Timestamp,
) -> Result<Figures, BenchError> {
    let issued_on = crate::time::utc_date(now);
    let demo = crate::demo::demo_card(b"bench", 0, PanLayout::Sixteen, issued_on)?;
    let card_id = CardId::new();
    let card = Card {
        state: crate::card::CardState::Active { since: now },
        ..Card::issue(
            card_id,
            domain::AccountId::new(),
            domain::CardholderId::new(),
            domain::Tier::Gold,
            &demo.pan,
            demo.expiry,
            now,
        )
    };
    let sealed = keys.encrypt_pan(card_id, &demo.pan, rng)?;
    let code_hash = keys.security_code_hash(card_id, &demo.security_code);
    let wrong_code = SecurityCode::parse("000")?;
    let pin = Pin::parse("4821")?;
    let pin_hash = keys.hash_pin(&pin, rng)?;

    let ns = |d: Duration| d.as_secs_f64() * 1e9;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    Ok(Figures {
        can_authorize_ns: ns(mean(iterations, || can_authorize(&card, now))),
        pan_lookup_hash_ns: ns(mean(iterations, || keys.pan_lookup(&demo.pan))),
        encrypt_pan_ns: ns(mean(iterations, || {
            keys.encrypt_pan(card_id, &demo.pan, rng)
        })),
        decrypt_pan_ns: ns(mean(iterations, || keys.decrypt_pan(card_id, &sealed))),
        security_code_verify_ns: ns(mean(iterations, || {
            keys.verify_security_code(card_id, &wrong_code, &code_hash)
        })),
        pin_hash_ms: ms(mean(pin_iterations, || keys.hash_pin(&pin, rng))),
        pin_verify_ms: ms(mean(pin_iterations, || keys.verify_pin(&pin, &pin_hash))),
    })
}
