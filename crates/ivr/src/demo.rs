//! The demo issuer's flow (Example Card Co.), compiled into the binary.

use domain::Lang;

use crate::catalog::CatalogSource;
use crate::load::{Flow, FlowSource};
use crate::problem::Problem;

pub const FLOW_FILE: &str = "flows/demo/flow.toml";
pub const FLOW: &str = include_str!("../flows/demo/flow.toml");

/// (language, file, text) of each catalog.
pub const CATALOGS: [(Lang, &str, &str); 2] = [
    (
        Lang::En,
        "flows/demo/en.ftl",
        include_str!("../flows/demo/en.ftl"),
    ),
    (
        Lang::Es,
        "flows/demo/es.ftl",
        include_str!("../flows/demo/es.ftl"),
    ),
];

pub fn source() -> FlowSource<'static> {
    FlowSource {
        file_name: FLOW_FILE,
        text: FLOW,
        catalogs: CATALOGS
            .iter()
            .map(|&(lang, file_name, text)| CatalogSource {
                file_name,
                lang,
                text,
            })
            .collect(),
    }
}

/// The demo flow, ready to run. It is checked by the tests, so it loads.
pub fn flow() -> Result<Flow, Vec<Problem>> {
    source().load()
}
