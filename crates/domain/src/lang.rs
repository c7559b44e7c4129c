//! The languages Helpline serves (product §8): at least those the seeds name.

use crate::vocab::ParseError;

/// A language, written as its BCP 47 primary subtag (`yue` for Cantonese, `zh` for Mandarin).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "&'static str")]
pub enum Lang {
    En,
    Es,
    Fr,
    De,
    It,
    Pt,
    Ja,
    /// Mandarin.
    Zh,
    /// Cantonese.
    Yue,
    Hi,
    Ms,
    Ta,
    Ar,
    Ko,
    Ru,
}

/// (language, code, English name, native name)
const TABLE: &[(Lang, &str, &str, &str)] = &[
    (Lang::En, "en", "English", "English"),
    (Lang::Es, "es", "Spanish", "Español"),
    (Lang::Fr, "fr", "French", "Français"),
    (Lang::De, "de", "German", "Deutsch"),
    (Lang::It, "it", "Italian", "Italiano"),
    (Lang::Pt, "pt", "Portuguese", "Português"),
    (Lang::Ja, "ja", "Japanese", "日本語"),
    (Lang::Zh, "zh", "Mandarin", "普通话"),
    (Lang::Yue, "yue", "Cantonese", "廣東話"),
    (Lang::Hi, "hi", "Hindi", "हिन्दी"),
    (Lang::Ms, "ms", "Malay", "Bahasa Melayu"),
    (Lang::Ta, "ta", "Tamil", "தமிழ்"),
    (Lang::Ar, "ar", "Arabic", "العربية"),
    (Lang::Ko, "ko", "Korean", "한국어"),
    (Lang::Ru, "ru", "Russian", "Русский"),
];

impl Lang {
    pub const ALL: &'static [Lang] = &[
        Lang::En,
        Lang::Es,
        Lang::Fr,
        Lang::De,
        Lang::It,
        Lang::Pt,
        Lang::Ja,
        Lang::Zh,
        Lang::Yue,
        Lang::Hi,
        Lang::Ms,
        Lang::Ta,
        Lang::Ar,
        Lang::Ko,
        Lang::Ru,
    ];

    fn row(self) -> &'static (Lang, &'static str, &'static str, &'static str) {
        // TABLE lists every variant in declaration order.
        &TABLE[self as usize]
    }

    /// The BCP 47 code: `en`, `es`, `yue`…
    pub fn code(self) -> &'static str {
        self.row().1
    }

    /// The language's name in English.
    pub fn english_name(self) -> &'static str {
        self.row().2
    }

    /// The language's name in itself, for language pickers.
    pub fn native_name(self) -> &'static str {
        self.row().3
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl std::str::FromStr for Lang {
    type Err = ParseError;

    /// Accepts a code (`es`), a full tag (`es-MX`, `zh-Hant-HK`) or an English name (`Spanish`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let primary = s.split(['-', '_']).next().unwrap_or_default();
        TABLE
            .iter()
            .find(|(_, code, english, _)| {
                code.eq_ignore_ascii_case(primary) || english.eq_ignore_ascii_case(s)
            })
            .map(|row| row.0)
            .or_else(|| match primary.to_ascii_lowercase().as_str() {
                "cmn" => Some(Lang::Zh),
                _ => None,
            })
            .ok_or_else(|| ParseError {
                kind: "language",
                value: s.to_owned(),
                expected: TABLE.iter().map(|r| r.1).collect::<Vec<_>>().join(", "),
            })
    }
}

impl TryFrom<String> for Lang {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Lang> for &'static str {
    fn from(lang: Lang) -> Self {
        lang.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_declaration_order() {
        for (i, lang) in Lang::ALL.iter().enumerate() {
            assert_eq!(TABLE[i].0, *lang);
            assert_eq!(*lang as usize, i);
        }
    }

    #[test]
    fn languages_parse_from_codes_tags_and_names() {
        assert_eq!("es".parse::<Lang>().unwrap(), Lang::Es);
        assert_eq!("es-MX".parse::<Lang>().unwrap(), Lang::Es);
        assert_eq!("zh-Hant-HK".parse::<Lang>().unwrap(), Lang::Zh);
        assert_eq!("yue".parse::<Lang>().unwrap(), Lang::Yue);
        assert_eq!("Spanish".parse::<Lang>().unwrap(), Lang::Es);
        assert_eq!("Mandarin".parse::<Lang>().unwrap(), Lang::Zh);
        assert!("xx".parse::<Lang>().is_err());
        assert_eq!(serde_json::to_string(&Lang::Yue).unwrap(), "\"yue\"");
        assert_eq!(serde_json::from_str::<Lang>("\"ko\"").unwrap(), Lang::Ko);
    }
}
