//! The validator finds each kind of problem and points at its line.

use domain::Lang;
use ivr::{CatalogSource, Catalogs, FlowSource, ProblemKind, validate};

const EN: &str = "no-input = Sorry.\ninvalid = Sorry.\nnot-understood = Sorry.\n\
                  kw-operator = agent\nmenu = Press 1.\nbye = Bye.\n";
const ES: &str = "no-input = Perdón.\ninvalid = Perdón.\nnot-understood = Perdón.\n\
                  kw-operator = agente\nmenu = Oprima 1.\n";

fn catalogs(languages: &[(Lang, &'static str)]) -> Catalogs {
    let sources: Vec<CatalogSource<'_>> = languages
        .iter()
        .map(|&(lang, text)| CatalogSource {
            file_name: if lang == Lang::Es { "es.ftl" } else { "en.ftl" },
            lang,
            text,
        })
        .collect();
    let (catalogs, problems) = Catalogs::parse(&sources);
    assert!(problems.is_empty(), "{problems:?}");
    catalogs
}

/// (line, kind) of each problem.
type Found = Vec<(usize, ProblemKind)>;

fn problems(flow: &str, languages: &[(Lang, &'static str)]) -> Found {
    validate("flow.toml", flow, &catalogs(languages))
        .into_iter()
        .map(|p| (p.line, p.kind))
        .collect()
}

/// A valid flow; each case below changes one thing.
const VALID: &str = r#"[flow]
id = "t"
languages = ["en"]
start = "menu"
operator = "person"

[nodes.menu]
type = "menu"
prompt = "menu"
options = [
  { digit = "1", next = "bye" },
]

[nodes.person]
type = "transfer"

[nodes.bye]
type = "hangup"
prompt = "bye"
"#;

#[test]
fn a_valid_flow_has_no_problems() {
    assert_eq!(problems(VALID, &[(Lang::En, EN)]), []);
}

#[test]
fn each_kind_of_problem_is_found_on_its_line() {
    let cases: Vec<(&str, String, Found)> = vec![
        (
            "syntax",
            VALID.replace(r#"languages = ["en"]"#, r#"languages = "en""#),
            vec![(3, ProblemKind::Syntax)],
        ),
        (
            "missing field",
            VALID.replace("prompt = \"menu\"\n", ""),
            vec![(7, ProblemKind::MissingField)],
        ),
        (
            "unused field",
            VALID.replace("prompt = \"bye\"", "prompt = \"bye\"\nnext = \"menu\""),
            vec![(20, ProblemKind::UnusedField)],
        ),
        (
            "bad value",
            VALID.replace(
                r#"{ digit = "1", next = "bye" },"#,
                r#"{ digit = "1", next = "bye" }, { digit = "0", next = "bye" },"#,
            ),
            vec![(11, ProblemKind::BadValue)],
        ),
        (
            "missing target",
            VALID.replace(r#"next = "bye""#, r#"next = "byebye""#),
            vec![
                (11, ProblemKind::MissingTarget),
                (17, ProblemKind::Unreachable),
            ],
        ),
        (
            "unreachable",
            format!("{VALID}\n[nodes.orphan]\ntype = \"hangup\"\n"),
            vec![(21, ProblemKind::Unreachable)],
        ),
        (
            "loop without exit",
            VALID.replace(r#"next = "bye""#, r#"next = "round""#)
                + "\n[nodes.round]\ntype = \"say\"\nprompt = \"bye\"\nnext = \"about\"\n\
                   \n[nodes.about]\ntype = \"say\"\nprompt = \"bye\"\nnext = \"round\"\n",
            vec![
                (17, ProblemKind::Unreachable),
                (21, ProblemKind::LoopWithoutExit),
            ],
        ),
        (
            "loop without input",
            VALID.replace(r#"next = "bye""#, r#"next = "check""#)
                + "\n[nodes.check]\ntype = \"branch\"\ncases = [{ language = [\"en\"], next = \"again\" }]\nelse = \"bye\"\n\
                   \n[nodes.again]\ntype = \"say\"\nprompt = \"bye\"\nnext = \"check\"\n",
            vec![(21, ProblemKind::LoopWithoutInput)],
        ),
        (
            "missing prompt",
            VALID.replace(r#"languages = ["en"]"#, r#"languages = ["en", "es"]"#),
            vec![(19, ProblemKind::MissingPrompt)],
        ),
        (
            "missing catalog",
            VALID.replace(r#"languages = ["en"]"#, r#"languages = ["en", "fr"]"#),
            vec![(3, ProblemKind::MissingCatalog)],
        ),
    ];
    for (name, flow, expected) in cases {
        let found = problems(&flow, &[(Lang::En, EN), (Lang::Es, ES)]);
        assert_eq!(found, expected, "{name}:\n{flow}");
    }
}

#[test]
fn problems_say_file_line_and_how_to_fix() {
    let flow = VALID.replace(r#"next = "bye""#, r#"next = "byebye""#);
    let shown: Vec<String> = validate("flows/x.toml", &flow, &catalogs(&[(Lang::En, EN)]))
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        shown,
        [
            "flows/x.toml:11: node `menu` leads to `byebye`, which does not exist",
            "flows/x.toml:17: node `bye` cannot be reached from `menu`: lead to it from another node or remove it",
        ]
    );

    let flow = VALID.replace(r#"languages = ["en"]"#, r#"languages = ["en", "es"]"#);
    let shown = validate(
        "f.toml",
        &flow,
        &catalogs(&[(Lang::En, EN), (Lang::Es, ES)]),
    );
    assert_eq!(
        shown[0].message,
        "message `bye` is missing from es.ftl (Spanish)"
    );
}

#[test]
fn several_problems_are_reported_together_in_line_order() {
    let flow = VALID
        .replace(r#"next = "bye""#, r#"next = "nowhere""#)
        .replace("type = \"transfer\"", "type = \"transfer\"\nclip = \"x\"");
    let found = problems(&flow, &[(Lang::En, EN)]);
    assert_eq!(
        found,
        [
            (11, ProblemKind::MissingTarget),
            (16, ProblemKind::UnusedField),
            (18, ProblemKind::Unreachable),
        ]
    );
}

#[test]
fn catalog_problems_come_with_the_flow_problems() {
    let source = FlowSource {
        file_name: "flow.toml",
        text: VALID,
        catalogs: vec![CatalogSource {
            file_name: "en.ftl",
            lang: Lang::En,
            text: "no-input = Sorry.\ninvalid = {\n",
        }],
    };
    let found: Vec<(String, usize, ProblemKind)> = source
        .problems()
        .into_iter()
        .map(|p| (p.file, p.line, p.kind))
        .collect();
    assert!(
        found.contains(&("en.ftl".into(), 2, ProblemKind::Syntax)),
        "{found:?}"
    );
    assert!(
        found.contains(&("flow.toml".into(), 1, ProblemKind::MissingPrompt)),
        "{found:?}"
    );
    assert!(source.load().is_err());
}

#[test]
fn the_demo_flow_is_clean() {
    assert_eq!(ivr::demo::source().problems(), []);
    let flow = ivr::demo::flow().unwrap();
    assert_eq!(flow.languages(), [Lang::En, Lang::Es]);
    assert_eq!(flow.id(), "demo");
}
