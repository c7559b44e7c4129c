//! Prints the `cards::bench` figures with production PIN-hash parameters and fresh keys.
//!
//! `cargo run --release -p cards --example bench_cards`

use cards::rand_core::{Rng, UnwrapErr};
use cards::secrets::{KeyId, Keys, PinHashParams};
use zeroize::Zeroizing;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = UnwrapErr(getrandom::SysRng);
    let mut hmac_key = Zeroizing::new([0u8; 32]);
    let mut aes_key = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(hmac_key.as_mut());
    rng.fill_bytes(aes_key.as_mut());
    let id = KeyId::parse("bench")?;
    let keys = Keys::new(
        hmac_key.as_ref(),
        [(id.clone(), aes_key)],
        id,
        PinHashParams::default(),
    )?;
    let now = jiff::Timestamp::from_second(1_772_000_000)?;
    let figures = cards::bench::run(&keys, &mut rng, 200_000, 20, now)?;
    println!("{}", serde_json::to_string_pretty(&figures)?);
    Ok(())
}
