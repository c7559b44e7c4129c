//! Deterministic demo cards: the same seed and index always give the same Luhn-valid number
//! (in the fictional `999900` range, which no card network issues), security code and expiry,
//! so the demo data, the tests and the person trying the demo can all compute them without
//! any card number being written down in clear.

use jiff::civil::Date;
use sha2::{Digest, Sha256};

use crate::card::Expiry;
use crate::pan::{Pan, PanError, PanLayout, SecurityCode, luhn_check_digit};

/// The issuer identification prefix of every demo card.
pub const DEMO_PREFIX: &str = "999900";

const LABEL: &[u8] = b"helpline/demo-card/v1\0";

/// A generated card: hand its number and code to the demo user, store only their hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoCard {
    pub pan: Pan,
    pub security_code: SecurityCode,
    pub expiry: Expiry,
}

/// The `index`-th demo card of `seed`, issued on `issued_on`; it expires 3 to 5 years later.
pub fn demo_card(
    seed: &[u8],
    index: u32,
    layout: PanLayout,
    issued_on: Date,
) -> Result<DemoCard, PanError> {
    let digest = Sha256::new()
        .chain_update(LABEL)
        .chain_update((seed.len() as u64).to_be_bytes())
        .chain_update(seed)
        .chain_update(index.to_be_bytes())
        .chain_update([layout.digits() as u8])
        .finalize();
    let word = |i: usize| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&digest[i * 8..i * 8 + 8]);
        u64::from_be_bytes(bytes)
    };
    let body_digits = layout.digits() - DEMO_PREFIX.len() - 1;
    let body = format!(
        "{DEMO_PREFIX}{:0width$}",
        word(0) % 10u64.pow(body_digits as u32),
        width = body_digits
    );
    let pan = Pan::parse(&format!("{body}{}", luhn_check_digit(&body)))?;
    let code_digits = layout.security_code_digits();
    let security_code = SecurityCode::parse(&format!(
        "{:0width$}",
        word(1) % 10u64.pow(code_digits as u32),
        width = code_digits
    ))?;
    let expiry = Expiry::years_after(issued_on, 3 + (word(2) % 3) as i16);
    Ok(DemoCard {
        pan,
        security_code,
        expiry,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_cards_are_deterministic_distinct_and_fictional() {
        let issued: Date = "2026-01-05".parse().unwrap();
        let a = demo_card(b"demo", 0, PanLayout::Fifteen, issued).unwrap();
        assert_eq!(
            a,
            demo_card(b"demo", 0, PanLayout::Fifteen, issued).unwrap()
        );
        assert_ne!(
            a.pan,
            demo_card(b"demo", 1, PanLayout::Fifteen, issued)
                .unwrap()
                .pan
        );
        assert_ne!(
            a.pan,
            demo_card(b"other", 0, PanLayout::Fifteen, issued)
                .unwrap()
                .pan
        );
        assert_eq!(a.pan.layout(), PanLayout::Fifteen);
        assert_eq!(a.security_code.reveal().len(), 4);
        assert!(a.pan.reveal().starts_with(DEMO_PREFIX));
        assert!((2029..=2031).contains(&a.expiry.year()));
        assert_eq!(a.expiry.month(), 1);

        let b = demo_card(b"demo", 0, PanLayout::Sixteen, issued).unwrap();
        assert_eq!(b.pan.reveal().len(), 16);
        assert_eq!(b.security_code.reveal().len(), 3);
        for i in 0..200 {
            let card = demo_card(b"demo", i, PanLayout::Sixteen, issued).unwrap();
            // Parsing again re-checks the Luhn digit.
            assert_eq!(Pan::parse(card.pan.reveal()).unwrap(), card.pan);
        }
    }
}
