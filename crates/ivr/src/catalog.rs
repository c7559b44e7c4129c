//! Message catalogs in Project Fluent format, one per language, and the spoken forms of
//! amounts, dates and reference numbers.

use std::collections::BTreeMap;
use std::fmt;

use domain::{Lang, Money};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentError, FluentResource, FluentValue};

use crate::problem::{Problem, ProblemKind, Problems};

/// The text of one catalog file.
#[derive(Debug, Clone, Copy)]
pub struct CatalogSource<'a> {
    pub file_name: &'a str,
    pub lang: Lang,
    pub text: &'a str,
}

/// The language a catalog file is for, from its name: `es.ftl` → Spanish.
pub fn catalog_language(file_name: &str) -> Option<Lang> {
    let base = file_name.rsplit(['/', '\\']).next()?;
    base.strip_suffix(".ftl")?.parse().ok()
}

/// Parsed catalogs by language.
#[derive(Default)]
pub struct Catalogs {
    by_lang: BTreeMap<Lang, Catalog>,
}

struct Catalog {
    file_name: String,
    bundle: FluentBundle<FluentResource>,
}

impl fmt::Debug for Catalogs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.by_lang.iter().map(|(l, c)| (l, &c.file_name)))
            .finish()
    }
}

/// A value for a message variable.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    Text(String),
    /// Numbers select plural forms and numeric variants (`[one]`, `[3]`).
    Number(i64),
}

pub(crate) type Args = Vec<(&'static str, Arg)>;

/// A rendered message: its text and, when the catalog names one, a recording.
pub(crate) struct Rendered {
    pub text: String,
    pub clip: Option<String>,
}

impl Catalogs {
    /// Parses every source, keeping what parses and reporting the rest with its line.
    pub fn parse(sources: &[CatalogSource<'_>]) -> (Catalogs, Vec<Problem>) {
        let mut catalogs = Catalogs::default();
        let mut found = Vec::new();
        for source in sources {
            let mut problems = Problems::new(source.file_name, source.text);
            if catalogs.by_lang.contains_key(&source.lang) {
                problems.at(
                    0,
                    ProblemKind::BadValue,
                    format!(
                        "a second catalog for {}: keep one .ftl file per language",
                        source.lang.english_name()
                    ),
                );
                found.append(&mut problems.found);
                continue;
            }
            let resource = match FluentResource::try_new(source.text.to_owned()) {
                Ok(resource) => resource,
                Err((resource, errors)) => {
                    for error in errors {
                        // The start of the broken entry: the exact position may be lines later.
                        let at = error.slice.as_ref().unwrap_or(&error.pos).start;
                        problems.at(
                            at,
                            ProblemKind::Syntax,
                            format!("not valid Fluent: {}", error.kind),
                        );
                    }
                    resource
                }
            };
            let locale = source.lang.code().parse().unwrap_or_default();
            let mut bundle = FluentBundle::new_concurrent(vec![locale]);
            // Isolation marks are for bidirectional screen text; speech engines would read them.
            bundle.set_use_isolating(false);
            if let Err(errors) = bundle.add_resource(resource) {
                for error in errors {
                    if let FluentError::Overriding { id, .. } = error {
                        let offset = last_definition(source.text, &id);
                        problems.at(
                            offset,
                            ProblemKind::BadValue,
                            format!("message `{id}` is defined twice; keep one"),
                        );
                    }
                }
            }
            found.append(&mut problems.found);
            catalogs.by_lang.insert(
                source.lang,
                Catalog {
                    file_name: source.file_name.to_owned(),
                    bundle,
                },
            );
        }
        (catalogs, found)
    }

    pub fn languages(&self) -> impl Iterator<Item = Lang> + '_ {
        self.by_lang.keys().copied()
    }

    pub fn file_name(&self, lang: Lang) -> Option<&str> {
        self.by_lang.get(&lang).map(|c| c.file_name.as_str())
    }

    /// Whether `lang`'s catalog has message `id` with a value.
    pub fn contains(&self, lang: Lang, id: &str) -> bool {
        self.by_lang
            .get(&lang)
            .and_then(|c| c.bundle.get_message(id))
            .is_some_and(|m| m.value().is_some())
    }

    /// Renders message `id` in `lang`; `None` when the catalog lacks it.
    pub(crate) fn render(&self, lang: Lang, id: &str, args: &Args) -> Option<Rendered> {
        let bundle = &self.by_lang.get(&lang)?.bundle;
        let message = bundle.get_message(id)?;
        let fluent_args = to_fluent(args);
        // A missing variable leaves `{$name}` in the text; the validator catches missing messages.
        let mut errors = Vec::new();
        let text = bundle
            .format_pattern(message.value()?, Some(&fluent_args), &mut errors)
            .into_owned();
        let clip = message.get_attribute("audio").map(|attribute| {
            bundle
                .format_pattern(attribute.value(), Some(&fluent_args), &mut errors)
                .into_owned()
        });
        Some(Rendered { text, clip })
    }

    /// The text of message `id`, or an empty string.
    pub(crate) fn text(&self, lang: Lang, id: &str, args: &Args) -> String {
        self.render(lang, id, args)
            .map(|r| r.text)
            .unwrap_or_default()
    }

    /// An amount in words through the catalog's `money` message
    /// (variables `whole`, `cents`, `currency`), always positive.
    pub(crate) fn money(&self, lang: Lang, money: Money) -> String {
        let scale = 10u64.pow(money.currency.minor_units());
        let minor = money.minor.unsigned_abs();
        let args = vec![
            ("whole", number(minor / scale)),
            ("cents", number(minor % scale)),
            ("currency", Arg::Text(money.currency.code().to_owned())),
        ];
        self.text(lang, "money", &args)
    }

    /// A date in words through the catalog's `date` message
    /// (variables `weekday` 1 = Monday … 7, `month` 1–12, `day`, `year`).
    pub(crate) fn date(&self, lang: Lang, date: jiff::civil::Date) -> String {
        let args = vec![
            (
                "weekday",
                Arg::Number(i64::from(date.weekday().to_monday_one_offset())),
            ),
            ("month", Arg::Number(i64::from(date.month()))),
            ("day", Arg::Number(i64::from(date.day()))),
            ("year", Arg::Number(i64::from(date.year()))),
        ];
        self.text(lang, "date", &args)
    }

    /// A time of day in words through the catalog's `time` message (variables `hour` 0–23,
    /// `hour12` 1–12, `minute` as two digits, `pm` "yes" or "no").
    pub(crate) fn time(&self, lang: Lang, time: jiff::civil::Time) -> String {
        let hour = i64::from(time.hour());
        let args = vec![
            ("hour", Arg::Number(hour)),
            ("hour12", Arg::Number((hour + 11) % 12 + 1)),
            ("minute", Arg::Text(format!("{:02}", time.minute()))),
            (
                "pm",
                Arg::Text(if hour >= 12 { "yes" } else { "no" }.to_owned()),
            ),
        ];
        self.text(lang, "time", &args)
    }
}

fn number(value: u64) -> Arg {
    Arg::Number(i64::try_from(value).unwrap_or(i64::MAX))
}

fn to_fluent(args: &Args) -> FluentArgs<'_> {
    let mut fluent = FluentArgs::new();
    for (name, value) in args {
        match value {
            Arg::Text(text) => fluent.set(*name, FluentValue::from(text.as_str())),
            Arg::Number(n) => fluent.set(*name, FluentValue::from(*n)),
        }
    }
    fluent
}

/// The offset of the last line defining message `id` (the duplicate).
fn last_definition(text: &str, id: &str) -> usize {
    let mut offset = 0;
    let mut found = 0;
    for line in text.split_inclusive('\n') {
        if line
            .strip_prefix(id)
            .is_some_and(|rest| rest.trim_start().starts_with('='))
        {
            found = offset;
        }
        offset += line.len();
    }
    found
}

/// Reads characters one by one so that a speech engine says "four two one zero" rather than
/// "four thousand two hundred ten": `HL-2041` → `H L, 2 0 4 1`.
pub fn spell(reference: &str) -> String {
    reference
        .split(|c: char| !c.is_alphanumeric())
        .filter(|group| !group.is_empty())
        .map(|group| {
            group
                .chars()
                .map(String::from)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogs(text: &str) -> (Catalogs, Vec<Problem>) {
        Catalogs::parse(&[CatalogSource {
            file_name: "en.ftl",
            lang: Lang::En,
            text,
        }])
    }

    #[test]
    fn references_are_spelled_in_groups() {
        assert_eq!(spell("HL-2041-77"), "H L, 2 0 4 1, 7 7");
        assert_eq!(spell("4210"), "4 2 1 0");
        assert_eq!(spell(""), "");
    }

    #[test]
    fn catalog_languages_come_from_file_names() {
        assert_eq!(catalog_language("flows/demo/es.ftl"), Some(Lang::Es));
        assert_eq!(catalog_language("yue.ftl"), Some(Lang::Yue));
        assert_eq!(catalog_language("readme.md"), None);
    }

    #[test]
    fn messages_render_with_variables_plurals_and_clips() {
        let (c, problems) = catalogs(
            "points = You have { $points ->\n  [one] one point\n *[other] { $points } points\n}.\n\
             hello = Hello.\n  .audio = hello-en\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        let one = c.render(Lang::En, "points", &vec![("points", Arg::Number(1))]);
        assert_eq!(one.map(|r| r.text).as_deref(), Some("You have one point."));
        assert_eq!(
            c.text(Lang::En, "points", &vec![("points", Arg::Number(1200))]),
            "You have 1200 points."
        );
        let hello = c.render(Lang::En, "hello", &Vec::new());
        assert_eq!(hello.and_then(|r| r.clip).as_deref(), Some("hello-en"));
        assert!(c.render(Lang::Es, "hello", &Vec::new()).is_none());
    }

    #[test]
    fn syntax_errors_and_duplicates_point_at_their_line() {
        let (_, problems) = catalogs("ok = fine\nbroken = {\n\nnext = x\nok = again\n");
        let lines: Vec<_> = problems.iter().map(|p| (p.line, p.kind)).collect();
        assert_eq!(
            lines,
            [(2, ProblemKind::Syntax), (5, ProblemKind::BadValue)],
            "{problems:?}"
        );
    }
}
