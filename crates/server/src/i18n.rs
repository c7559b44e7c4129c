//! Message catalogs (Project Fluent). Every `locales/<lang>/*.ftl` file is compiled in; each area
//! of the product keeps its messages in its own file. English is complete and is the fallback;
//! every other language with a directory is checked for completeness against it in tests.

use std::collections::HashMap;

use domain::Lang;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

#[derive(rust_embed::RustEmbed)]
#[folder = "locales/"]
struct Locales;

/// (language, file name, source) for every catalog file, in a stable order.
fn catalog_files() -> Vec<(Lang, String, String)> {
    let mut files: Vec<_> = Locales::iter()
        .filter_map(|path| {
            let (dir, name) = path.split_once('/')?;
            let lang = dir.parse::<Lang>().ok()?;
            let file = Locales::get(&path)?;
            let text = String::from_utf8(file.data.into_owned()).ok()?;
            Some((lang, name.to_owned(), text))
        })
        .collect();
    files.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    files
}

pub struct I18n {
    bundles: HashMap<Lang, FluentBundle<FluentResource>>,
}

#[derive(Debug, thiserror::Error)]
#[error("message catalog for {lang} is broken: {detail}")]
pub struct CatalogError {
    lang: Lang,
    detail: String,
}

impl I18n {
    pub fn load() -> Result<Self, CatalogError> {
        let mut bundles: HashMap<Lang, FluentBundle<FluentResource>> = HashMap::new();
        for (lang, name, source) in catalog_files() {
            let broken = |detail: String| CatalogError {
                lang,
                detail: format!("{name}: {detail}"),
            };
            let resource =
                FluentResource::try_new(source).map_err(|(_, errs)| broken(format!("{errs:?}")))?;
            let bundle = match bundles.entry(lang) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    let tag = lang.code().parse().map_err(|e| broken(format!("{e}")))?;
                    let mut bundle = FluentBundle::new_concurrent(vec![tag]);
                    // No Unicode isolation marks around arguments: they show up in plain text.
                    bundle.set_use_isolating(false);
                    e.insert(bundle)
                }
            };
            bundle
                .add_resource(resource)
                .map_err(|errs| broken(format!("{errs:?}")))?;
        }
        Ok(Self { bundles })
    }

    /// Languages the UI can be shown in, English first.
    pub fn languages(&self) -> Vec<Lang> {
        let mut langs: Vec<Lang> = self.bundles.keys().copied().collect();
        langs.sort_by_key(|l| (*l != Lang::En, l.code()));
        langs
    }

    pub fn supports(&self, lang: Lang) -> bool {
        self.bundles.contains_key(&lang)
    }

    /// The message `id` in `lang`, falling back to English, then to the id itself.
    pub fn message(&self, lang: Lang, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        [lang, Lang::En]
            .iter()
            .filter_map(|l| self.bundles.get(l))
            .find_map(|bundle| {
                let pattern = bundle.get_message(id)?.value()?;
                let mut errors = Vec::new();
                Some(
                    bundle
                        .format_pattern(pattern, args, &mut errors)
                        .into_owned(),
                )
            })
            .unwrap_or_else(|| id.to_owned())
    }
}

impl I18n {
    /// The message `id` in `lang` (English when `lang` lacks it), or `None` when neither has it
    /// or an argument it names is missing: for texts that leave the system (notifications).
    pub fn checked(&self, lang: Lang, id: &str, args: Option<&FluentArgs<'_>>) -> Option<String> {
        let bundle = [lang, Lang::En]
            .iter()
            .filter_map(|l| self.bundles.get(l))
            .find(|b| b.has_message(id))?;
        let pattern = bundle.get_message(id)?.value()?;
        let mut errors = Vec::new();
        let text = bundle
            .format_pattern(pattern, args, &mut errors)
            .into_owned();
        errors.is_empty().then_some(text)
    }
}

/// Translations for one page render, bound to its language.
#[derive(Clone, Copy)]
pub struct Tr<'a> {
    pub lang: Lang,
    pub i18n: &'a I18n,
}

impl Tr<'_> {
    pub fn t(&self, id: &str) -> String {
        self.i18n.message(self.lang, id, None)
    }

    /// A message with one named argument.
    pub fn t1(&self, id: &str, name: &str, value: impl ToString) -> String {
        let mut args = FluentArgs::new();
        args.set(name, FluentValue::from(value.to_string()));
        self.i18n.message(self.lang, id, Some(&args))
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Message ids in a catalog source.
    fn ids(source: &str) -> Vec<String> {
        source
            .lines()
            .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
            .filter_map(|l| l.split_once('=').map(|(id, _)| id.trim().to_owned()))
            .collect()
    }

    #[test]
    fn every_catalog_is_complete_and_well_formed() {
        let i18n = I18n::load().expect("catalogs load");
        let files = catalog_files();
        let ids_of = |lang: Lang| -> Vec<String> {
            files
                .iter()
                .filter(|f| f.0 == lang)
                .flat_map(|f| ids(&f.2))
                .collect()
        };
        let english = ids_of(Lang::En);
        assert!(english.len() > 20);
        let mut seen = std::collections::HashSet::new();
        for id in &english {
            assert!(seen.insert(id), "message {id} is defined twice in English");
        }
        assert!(i18n.languages().contains(&Lang::Es));
        for lang in i18n.languages() {
            let found = ids_of(lang);
            let missing: Vec<_> = english.iter().filter(|id| !found.contains(id)).collect();
            assert!(missing.is_empty(), "{lang} lacks {missing:?}");
            for id in &english {
                assert_ne!(
                    &i18n.message(lang, id, None),
                    id,
                    "{lang}: {id} has no value"
                );
            }
        }
    }

    #[test]
    fn spanish_is_really_spanish_and_unknown_ids_fall_back() {
        let i18n = I18n::load().unwrap();
        assert_ne!(
            i18n.message(Lang::Es, "login-title", None),
            i18n.message(Lang::En, "login-title", None)
        );
        assert_eq!(
            i18n.message(Lang::Ja, "login-title", None),
            i18n.message(Lang::En, "login-title", None)
        );
        assert_eq!(
            i18n.message(Lang::En, "no-such-message", None),
            "no-such-message"
        );
    }
}
