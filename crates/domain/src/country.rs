//! ISO 3166-1 alpha-2 country codes.

use crate::vocab::ParseError;

/// Every officially assigned ISO 3166-1 alpha-2 code.
const CODES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR \
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP \
KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT \
MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW \
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG \
UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// A country, by its ISO 3166-1 alpha-2 code (`US`, `JP`).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Country([u8; 2]);

impl Country {
    pub fn parse(code: &str) -> Result<Self, ParseError> {
        let upper = code.trim().to_ascii_uppercase();
        let known = upper.len() == 2 && CODES.split(' ').any(|c| c == upper);
        let bytes = upper.as_bytes();
        if known {
            Ok(Country([bytes[0], bytes[1]]))
        } else {
            Err(ParseError {
                kind: "country",
                value: code.to_owned(),
                expected: "an ISO 3166-1 alpha-2 code such as US, GB or JP".to_owned(),
            })
        }
    }

    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("ZZ")
    }

    /// The code's two ASCII letters, without the UTF-8 check of [`Country::code`] (the fraud
    /// engine keeps countries as bytes and reads one per decision).
    pub const fn bytes(self) -> [u8; 2] {
        self.0
    }

    /// Every assigned code, for pickers.
    pub fn all() -> impl Iterator<Item = Country> {
        CODES.split(' ').filter_map(|c| Country::parse(c).ok())
    }
}

impl std::fmt::Display for Country {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl std::fmt::Debug for Country {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl std::str::FromStr for Country {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Country::parse(s)
    }
}

impl TryFrom<String> for Country {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Country::parse(&s)
    }
}

impl From<Country> for String {
    fn from(c: Country) -> Self {
        c.code().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_assigned_codes_only() {
        assert_eq!(Country::parse("jp").unwrap().code(), "JP");
        assert!(Country::parse("XX").is_err());
        assert!(Country::parse("USA").is_err());
        assert_eq!(Country::all().count(), 249);
    }
}
