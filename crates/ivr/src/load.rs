//! Loading a flow: parse, compile, and check its structure and catalogs.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use domain::Lang;

use crate::catalog::{CatalogSource, Catalogs};
use crate::flow::{self, Compiled, Model, NodeType, msg};
use crate::problem::{Problem, ProblemKind, Problems};

/// A checked flow with its catalogs, ready to run calls. Share it (`Arc<Flow>`) across calls.
#[derive(Debug)]
pub struct Flow {
    pub(crate) model: Model,
    pub(crate) catalogs: Catalogs,
}

/// A flow file and its catalogs, as read by the caller.
#[derive(Debug, Clone)]
pub struct FlowSource<'a> {
    pub file_name: &'a str,
    pub text: &'a str,
    pub catalogs: Vec<CatalogSource<'a>>,
}

impl FlowSource<'_> {
    /// Every problem in the flow and its catalogs, in file and line order.
    pub fn problems(&self) -> Vec<Problem> {
        let (catalogs, mut problems) = Catalogs::parse(&self.catalogs);
        problems.extend(validate(self.file_name, self.text, &catalogs));
        problems
    }

    pub fn load(&self) -> Result<Flow, Vec<Problem>> {
        let (catalogs, problems) = Catalogs::parse(&self.catalogs);
        let loaded = Flow::load(self.file_name, self.text, catalogs);
        match (loaded, problems.is_empty()) {
            (Ok(flow), true) => Ok(flow),
            (Ok(_), false) => Err(problems),
            (Err(mut more), _) => {
                more.splice(0..0, problems);
                Err(more)
            }
        }
    }
}

impl Flow {
    /// Loads a flow file against its catalogs; any problem refuses the flow.
    pub fn load(file_name: &str, text: &str, catalogs: Catalogs) -> Result<Flow, Vec<Problem>> {
        let (model, problems) = check(file_name, text, &catalogs);
        match model {
            Some(model) if problems.is_empty() => Ok(Flow { model, catalogs }),
            _ => Err(problems),
        }
    }

    pub fn id(&self) -> &str {
        &self.model.id
    }

    pub fn name(&self) -> &str {
        &self.model.name
    }

    pub fn languages(&self) -> &[Lang] {
        &self.model.languages
    }

    pub fn default_language(&self) -> Lang {
        self.model.default_language
    }

    /// Every node's id and type.
    pub fn nodes(&self) -> impl Iterator<Item = (&str, NodeType)> {
        self.model
            .types
            .iter()
            .map(|(id, kind)| (id.as_str(), *kind))
    }
}

/// Every problem in a flow file: syntax, fields, unreachable nodes, missing targets, loops with
/// no exit or no input, and prompts missing from a configured language's catalog.
pub fn validate(file_name: &str, text: &str, catalogs: &Catalogs) -> Vec<Problem> {
    check(file_name, text, catalogs).1
}

fn check(file_name: &str, text: &str, catalogs: &Catalogs) -> (Option<Model>, Vec<Problem>) {
    let mut problems = Problems::new(file_name, text);
    let Some(raw) = flow::parse(&mut problems) else {
        return (None, problems.found);
    };
    let compiled = flow::compile(&raw, &mut problems);
    check_graph(&compiled, &mut problems);
    check_prompts(&compiled, catalogs, &mut problems);
    let mut found = problems.found;
    found.sort_by_key(|p| (p.line, p.kind));
    found.dedup();
    (compiled.model, found)
}

fn check_graph(compiled: &Compiled, problems: &mut Problems<'_>) {
    let nodes = &compiled.graph;
    let index: BTreeMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let operator = index.get(compiled.operator.as_str()).copied();
    let edges: Vec<Vec<usize>> = nodes
        .iter()
        .map(|n| {
            let mut to: Vec<usize> = n
                .edges
                .iter()
                .filter_map(|t| index.get(t.as_str()).copied())
                .collect();
            if n.to_operator {
                to.extend(operator);
            }
            to.sort_unstable();
            to.dedup();
            to
        })
        .collect();

    let roots = [compiled.start.as_str(), compiled.operator.as_str()]
        .iter()
        .filter_map(|id| index.get(id).copied())
        .collect::<Vec<_>>();
    let reached = reachable(&edges, &roots);
    for (i, node) in nodes.iter().enumerate() {
        if !reached[i] {
            problems.at(
                node.offset,
                ProblemKind::Unreachable,
                format!(
                    "node `{}` cannot be reached from `{}`: lead to it from another node or remove it",
                    node.id, compiled.start
                ),
            );
        }
    }

    let mut reverse = vec![Vec::new(); nodes.len()];
    for (from, to) in edges.iter().enumerate() {
        for &t in to {
            reverse[t].push(from);
        }
    }
    let exits: Vec<usize> = (0..nodes.len())
        .filter(|&i| nodes[i].kind.ends_call())
        .collect();
    let can_exit = reachable(&reverse, &exits);

    let describe = |members: &[usize]| {
        let mut sorted = members.to_vec();
        sorted.sort_by_key(|&i| nodes[i].offset);
        let first = sorted.first().copied().unwrap_or_default();
        let names = sorted
            .iter()
            .map(|&i| format!("`{}`", nodes[i].id))
            .collect::<Vec<_>>()
            .join(", ");
        (nodes.get(first).map_or(0, |n| n.offset), names)
    };
    for cycle in cycles(&edges) {
        if !can_exit[cycle[0]] {
            let (offset, names) = describe(&cycle);
            problems.at(
                offset,
                ProblemKind::LoopWithoutExit,
                format!(
                    "nodes {names} form a loop with no way out: no transfer, dial or hang-up can be reached from it"
                ),
            );
        }
    }

    // Loops among nodes that never wait for the caller could spin for ever.
    let silent: Vec<Vec<usize>> = edges
        .iter()
        .enumerate()
        .map(|(i, to)| {
            if nodes[i].kind.waits_for_caller() {
                Vec::new()
            } else {
                to.iter()
                    .copied()
                    .filter(|&t| !nodes[t].kind.waits_for_caller())
                    .collect()
            }
        })
        .collect();
    for cycle in cycles(&silent) {
        if can_exit[cycle[0]] {
            let (offset, names) = describe(&cycle);
            problems.at(
                offset,
                ProblemKind::LoopWithoutInput,
                format!(
                    "nodes {names} form a loop that never waits for the caller; put a menu or other question in it"
                ),
            );
        }
    }
}

fn reachable(edges: &[Vec<usize>], roots: &[usize]) -> Vec<bool> {
    let mut seen = vec![false; edges.len()];
    let mut queue: VecDeque<usize> = roots.iter().copied().collect();
    while let Some(node) = queue.pop_front() {
        if std::mem::replace(&mut seen[node], true) {
            continue;
        }
        queue.extend(edges[node].iter().copied().filter(|&n| !seen[n]));
    }
    seen
}

/// The strongly connected components that contain a cycle (Tarjan's algorithm, iterative).
fn cycles(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let n = edges.len();
    let mut order = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut counter = 0;
    let mut found = Vec::new();
    for root in 0..n {
        if order[root] != UNSEEN {
            continue;
        }
        order[root] = counter;
        low[root] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root] = true;
        let mut work = vec![(root, 0usize)];
        while let Some(top) = work.last_mut() {
            let (v, position) = *top;
            if let Some(&w) = edges[v].get(position) {
                top.1 += 1;
                if order[w] == UNSEEN {
                    order[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(order[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == order[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 || edges[v].contains(&v) {
                    found.push(component);
                }
            }
        }
    }
    found
}

fn check_prompts(compiled: &Compiled, catalogs: &Catalogs, problems: &mut Problems<'_>) {
    let mut with_catalog = Vec::new();
    for &lang in &compiled.languages {
        if catalogs.file_name(lang).is_some() {
            with_catalog.push(lang);
        } else {
            problems.at(
                compiled.languages_offset,
                ProblemKind::MissingCatalog,
                format!(
                    "no catalog for {} ({lang}): add {lang}.ftl next to the flow",
                    lang.english_name()
                ),
            );
        }
    }

    let mut needed: Vec<(&str, usize)> = msg::FLOW
        .iter()
        .map(|m| (*m, compiled.flow_offset))
        .collect();
    let mut first_of_kind: BTreeMap<NodeType, usize> = BTreeMap::new();
    for node in &compiled.graph {
        let first = first_of_kind.entry(node.kind).or_insert(node.offset);
        *first = (*first).min(node.offset);
    }
    for (kind, offset) in first_of_kind {
        needed.extend(kind.builtin_messages().iter().map(|m| (*m, offset)));
    }
    needed.extend(compiled.prompts.iter().map(|(m, o)| (m.as_str(), *o)));

    let mut reported = BTreeSet::new();
    for (message, offset) in needed {
        for &lang in &with_catalog {
            if !catalogs.contains(lang, message) && reported.insert((message, lang, offset)) {
                problems.at(
                    offset,
                    ProblemKind::MissingPrompt,
                    format!(
                        "message `{message}` is missing from {} ({})",
                        catalogs.file_name(lang).unwrap_or_default(),
                        lang.english_name()
                    ),
                );
            }
        }
    }
}
