//! Message catalogs (Project Fluent). English is complete and is the fallback; every other
//! language with a catalog is checked for completeness against it in tests.

use std::collections::HashMap;

use domain::Lang;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// (language, catalog source) for every language the web UI speaks.
const CATALOGS: &[(Lang, &str)] = &[
    (Lang::En, include_str!("../locales/en/main.ftl")),
    (Lang::Es, include_str!("../locales/es/main.ftl")),
];

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
        let mut bundles = HashMap::new();
        for (lang, source) in CATALOGS {
            let resource = FluentResource::try_new((*source).to_owned()).map_err(|(_, errs)| {
                CatalogError {
                    lang: *lang,
                    detail: format!("{errs:?}"),
                }
            })?;
            let tag = lang.code().parse().map_err(|e| CatalogError {
                lang: *lang,
                detail: format!("{e}"),
            })?;
            let mut bundle = FluentBundle::new_concurrent(vec![tag]);
            // No Unicode isolation marks around arguments: they show up in plain-text output.
            bundle.set_use_isolating(false);
            bundle.add_resource(resource).map_err(|errs| CatalogError {
                lang: *lang,
                detail: format!("{errs:?}"),
            })?;
            bundles.insert(*lang, bundle);
        }
        Ok(Self { bundles })
    }

    /// Languages the UI can be shown in.
    pub fn languages(&self) -> Vec<Lang> {
        CATALOGS.iter().map(|(lang, _)| *lang).collect()
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
        let english = ids(CATALOGS[0].1);
        assert!(english.len() > 20);
        for (lang, source) in CATALOGS {
            let found = ids(source);
            let missing: Vec<_> = english.iter().filter(|id| !found.contains(id)).collect();
            assert!(missing.is_empty(), "{lang} lacks {missing:?}");
            for id in &english {
                assert_ne!(
                    &i18n.message(*lang, id, None),
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
