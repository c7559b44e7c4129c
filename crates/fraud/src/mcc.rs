//! Merchant category codes (ISO 18245) and the spending categories profiles keep statistics for.

use std::fmt;

/// A merchant category code: four digits.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Mcc(u16);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("merchant category code {0:?} is not four digits (ISO 18245, e.g. 5411)")]
pub struct BadMcc(pub String);

impl Mcc {
    pub fn parse(text: &str) -> Result<Self, BadMcc> {
        let t = text.trim();
        if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
            t.parse().map(Mcc).map_err(|_| BadMcc(text.to_owned()))
        } else {
            Err(BadMcc(text.to_owned()))
        }
    }

    pub const fn code(self) -> u16 {
        self.0
    }

    pub fn category(self) -> Category {
        Category::of(self)
    }
}

impl fmt::Display for Mcc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.0)
    }
}

impl fmt::Debug for Mcc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::str::FromStr for Mcc {
    type Err = BadMcc;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mcc::parse(s)
    }
}

impl TryFrom<String> for Mcc {
    type Error = BadMcc;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Mcc::parse(&s)
    }
}

impl From<Mcc> for String {
    fn from(m: Mcc) -> Self {
        m.to_string()
    }
}

/// Spending categories: a card keeps amount statistics per category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Category {
    Groceries,
    Restaurants,
    Bars,
    Transport,
    Fuel,
    Travel,
    Cash,
    MoneyTransfer,
    Electronics,
    Jewellery,
    GiftCards,
    Digital,
    Utilities,
    Entertainment,
    Health,
    Other,
}

impl Category {
    pub const COUNT: usize = 16;

    pub fn of(mcc: Mcc) -> Self {
        match mcc.0 {
            5411 | 5422 | 5441 | 5451 | 5462 | 5499 => Self::Groceries,
            5811 | 5812 | 5814 => Self::Restaurants,
            5813 | 7273 => Self::Bars,
            4011..=4131 | 4784 | 4789 | 7523 => Self::Transport,
            5541 | 5542 | 5531..=5533 | 7531..=7549 => Self::Fuel,
            3000..=3999 | 4411 | 4511 | 4582 | 4722 | 7011 | 7012 | 7512 | 7513 => Self::Travel,
            6010 | 6011 => Self::Cash,
            4829 | 6012 | 6050 | 6051 | 6211 | 6540 => Self::MoneyTransfer,
            4812 | 5045 | 5065 | 5722 | 5732 | 5734 | 5946 => Self::Electronics,
            5094 | 5944 | 7631 => Self::Jewellery,
            5947 => Self::GiftCards,
            5735 | 5815..=5818 | 5968 | 4899 | 7372 => Self::Digital,
            4814 | 4816 | 4900 => Self::Utilities,
            7800..=7999 => Self::Entertainment,
            5912 | 5975 | 5976 | 8011..=8099 => Self::Health,
            _ => Self::Other,
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Groceries => "groceries",
            Self::Restaurants => "restaurants",
            Self::Bars => "bars",
            Self::Transport => "transport",
            Self::Fuel => "fuel and car",
            Self::Travel => "travel",
            Self::Cash => "cash withdrawals",
            Self::MoneyTransfer => "money transfers",
            Self::Electronics => "electronics",
            Self::Jewellery => "jewellery",
            Self::GiftCards => "gift cards",
            Self::Digital => "digital goods",
            Self::Utilities => "utilities",
            Self::Entertainment => "entertainment",
            Self::Health => "health",
            Self::Other => "shopping",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_four_digits_only() {
        assert_eq!(Mcc::parse("5411").unwrap().code(), 5411);
        assert_eq!(Mcc::parse("0742").unwrap().to_string(), "0742");
        for bad in ["541", "54111", "54a1", ""] {
            assert!(Mcc::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn categories_group_related_codes() {
        let cat = |c: &str| Mcc::parse(c).unwrap().category();
        assert_eq!(cat("5411"), Category::Groceries);
        assert_eq!(cat("6011"), Category::Cash);
        assert_eq!(cat("4511"), Category::Travel);
        assert_eq!(cat("3058"), Category::Travel);
        assert_eq!(cat("5944"), Category::Jewellery);
        assert_eq!(cat("4829"), Category::MoneyTransfer);
        assert_eq!(cat("5999"), Category::Other);
    }
}
