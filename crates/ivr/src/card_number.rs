//! The Luhn check digit of card numbers: catches mistyped numbers before the edge looks them up.

fn luhn_sum(digits: &str, double_last: bool) -> u32 {
    digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b.wrapping_sub(b'0'));
            if (i % 2 == 0) == double_last {
                let twice = d * 2;
                if twice > 9 { twice - 9 } else { twice }
            } else {
                d
            }
        })
        .sum()
}

/// A plausible card number: 12–19 digits with a valid check digit.
pub(crate) fn is_plausible(digits: &str) -> bool {
    (12..=19).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && luhn_sum(digits, false).is_multiple_of(10)
}

/// `prefix` followed by its check digit, for test cards generated at run time.
pub(crate) fn with_check_digit(prefix: &str) -> String {
    let check = (10 - luhn_sum(prefix, true) % 10) % 10;
    format!("{prefix}{check}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completed_numbers_pass_and_typos_fail() {
        let number = with_check_digit("37990000000001");
        assert_eq!(number.len(), 15);
        assert!(is_plausible(&number));
        let mut typo = number.clone().into_bytes();
        typo[3] = if typo[3] == b'9' { b'8' } else { b'9' };
        assert!(!is_plausible(&String::from_utf8(typo).unwrap()));
        assert!(!is_plausible("1234"));
        assert!(!is_plausible("37990000000001x"));
    }
}
