//! Structural rules for the production code: no import cycles between the
//! modules of `core`, `app` and `server`.
//!
//! Cargo forbids cycles between crates, but nothing forbids them between the
//! modules of one crate, and a cycle is how layers quietly become one knot that
//! can only be understood, and changed, all at once. So this reads the sources,
//! draws the module graph and fails on any strongly connected component.
//!
//! A module is a file (`team/service.rs` is `team::service`, `kernel/mod.rs`
//! is `kernel`). An edge is a `crate::…` or `super::…` path (use groups
//! expanded) resolved to the longest known module. Edges between a module and
//! its ancestors are ignored both ways: that is nesting, not layering. Test
//! code (`#[cfg(test)]` items and files) may reach anywhere, so it is left out,
//! as are comments and strings. `skillmap_core::…` paths are another crate.
//! It is a text scan with std only, not a parser: simple enough to trust.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const CFG_TEST: &str = "#[cfg(test)]";

/// A module's path (`["team", "service"]`), its file for messages, its text.
struct SourceFile {
    module: Vec<String>,
    display: String,
    text: String,
}

/// Node `i` is `files[i]`; an edge keeps the first `file:line` making it,
/// which is the line a developer has to change.
struct Graph {
    names: Vec<String>,
    edges: BTreeMap<(usize, usize), String>,
}

fn load_crate(krate: &str) -> Vec<SourceFile> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(krate)
        .join("src");
    let (mut files, mut dirs) = (Vec::new(), vec![src.clone()]);
    while let Some(dir) = dirs.pop() {
        let entries =
            std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
        for entry in entries {
            let path = entry
                .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
                .path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            } else if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            let rel = path
                .strip_prefix(&src)
                .expect("walked from src")
                .to_path_buf();
            let mut module: Vec<String> = rel
                .with_extension("")
                .iter()
                .map(|c| c.to_string_lossy().into_owned())
                .collect();
            // `mod.rs` is its folder's module; a top-level `lib.rs`/`main.rs` the root.
            let root = module.len() == 1 && (module[0] == "lib" || module[0] == "main");
            if root || module.last().is_some_and(|m| m == "mod") {
                module.pop();
            }
            let display = format!("{krate}/src/{}", rel.display());
            files.push(SourceFile {
                module,
                display,
                text,
            });
        }
    }
    // Stable order, stable reports.
    files.sort_by(|a, b| a.display.cmp(&b.display));
    files
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn at(s: &[char], i: usize, pat: &str) -> bool {
    pat.chars()
        .enumerate()
        .all(|(k, p)| s.get(i + k) == Some(&p))
}

fn skip_ws(s: &[char], i: usize) -> usize {
    i + s[i.min(s.len())..]
        .iter()
        .take_while(|c| c.is_whitespace())
        .count()
}

/// Spaces over `s[from..to]`, keeping newlines so that line numbers hold.
fn blank(s: &mut [char], from: usize, to: usize) {
    let n = s.len();
    for c in &mut s[from.min(n)..to.min(n)] {
        if *c != '\n' {
            *c = ' ';
        }
    }
}

/// `Some(number of #)` if a raw string (`r"`, `r#"`, `br#"`…) starts at `i`.
fn raw_string(s: &[char], i: usize) -> Option<usize> {
    let after_ident = |k: usize| k > 0 && is_ident(s[k - 1]);
    let starts = s[i] == 'r' && (!after_ident(i) || (s[i - 1] == 'b' && !after_ident(i - 1)));
    let hashes = s[i + 1..].iter().take_while(|&&c| c == '#').count();
    (starts && s.get(i + 1 + hashes) == Some(&'"')).then_some(hashes)
}

/// The source with comments, strings and char literals blanked: a path in a
/// doc comment is not an import, and `'{'` or `r#"}"#` must not upset the
/// brace matching that drops test modules.
fn mask(src: &str) -> Vec<char> {
    let mut s: Vec<char> = src.chars().collect();
    let mut i = 0;
    while i < s.len() {
        let end = if at(&s, i, "//") {
            (i..s.len()).find(|&k| s[k] == '\n').unwrap_or(s.len())
        } else if at(&s, i, "/*") {
            // Block comments nest.
            let (mut depth, mut k) = (0, i);
            while k < s.len() {
                let step = if at(&s, k, "/*") {
                    1
                } else if at(&s, k, "*/") {
                    -1
                } else {
                    0
                };
                depth += step;
                k += if step == 0 { 1 } else { 2 };
                if depth == 0 {
                    break;
                }
            }
            k
        } else if let Some(hashes) = raw_string(&s, i) {
            let close = format!("\"{}", "#".repeat(hashes));
            let body = i + 2 + hashes;
            (body..s.len())
                .find(|&k| at(&s, k, &close))
                .map_or(s.len(), |k| k + close.len())
        } else if s[i] == '"' {
            let mut k = i + 1;
            while k < s.len() && s[k] != '"' {
                k += if s[k] == '\\' { 2 } else { 1 };
            }
            k + 1
        } else if s[i] == '\'' && s.get(i + 1) == Some(&'\\') {
            (i + 3..s.len())
                .find(|&k| s[k] == '\'')
                .map_or(s.len(), |k| k + 1)
        } else if s[i] == '\'' && s.get(i + 2) == Some(&'\'') {
            i + 3
        } else {
            // Code, or a lifetime or label such as `'a`.
            i += 1;
            continue;
        };
        blank(&mut s, i, end);
        i = end;
    }
    s
}

/// Blanks each `#[cfg(test)]` item of masked source, to its `;` or matching
/// `}`, and returns the child modules declared `#[cfg(test)] mod name;`.
fn strip_test_items(s: &mut [char]) -> Vec<String> {
    let mut test_mods = Vec::new();
    while let Some(start) = (0..s.len()).find(|&k| at(s, k, CFG_TEST)) {
        // Brackets count too: more attributes may follow, or a `[u8; 4]`.
        let (mut k, mut depth) = (start + CFG_TEST.len(), 0);
        while k < s.len() {
            match s[k] {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' => depth -= 1,
                '}' if depth == 1 => break,
                '}' => depth -= 1,
                ';' if depth == 0 => break,
                _ => {}
            }
            k += 1;
        }
        if s.get(k) == Some(&';') {
            let item: String = s[start + CFG_TEST.len()..k].iter().collect();
            let words: Vec<&str> = item.split_whitespace().collect();
            if let Some(m) = words.iter().position(|&w| w == "mod") {
                test_mods.extend(words.get(m + 1).map(|w| w.to_string()));
            }
        }
        blank(s, start, k + 1);
    }
    test_mods
}

/// Reads the path or use tree at `i`, pushing each full path it names (with
/// the position where that path ends) to `out`; returns where it stopped.
fn read_tree(
    s: &[char],
    i: usize,
    mut prefix: Vec<String>,
    out: &mut Vec<(Vec<String>, usize)>,
) -> usize {
    let mut i = skip_ws(s, i);
    match s.get(i) {
        Some('{') => loop {
            i = skip_ws(s, i + 1);
            if i >= s.len() || s[i] == '}' {
                return i + 1;
            }
            i = read_tree(s, i, prefix.clone(), out);
            // Past any `as alias`: to the `,` (skipped at the top) or the `}`.
            while i < s.len() && s[i] != ',' && s[i] != '}' {
                i += 1;
            }
            if s.get(i) == Some(&'}') {
                return i + 1;
            }
        },
        Some('*') => {
            out.push((prefix, i));
            return i + 1;
        }
        _ => {}
    }
    let start = i;
    while i < s.len() && is_ident(s[i]) {
        i += 1;
    }
    let word: String = s[start..i].iter().collect();
    if word != "self" && !word.is_empty() {
        prefix.push(word);
    }
    if i > start && at(s, i, "::") {
        return read_tree(s, i + 2, prefix, out);
    }
    out.push((prefix, i));
    i
}

/// Every `crate::…` and `super::…` path in masked source, with its position.
fn paths(s: &[char]) -> Vec<(Vec<String>, usize)> {
    let (mut out, mut i) = (Vec::new(), 0);
    while i < s.len() {
        let word_start = i == 0 || !is_ident(s[i - 1]);
        if word_start && (at(s, i, "crate::") || at(s, i, "super::")) {
            i = read_tree(s, i, Vec::new(), &mut out);
        } else {
            i += 1;
        }
    }
    out
}

/// `path` as seen from module `from`, made absolute (without `crate`).
fn absolute(from: &[String], path: &[String]) -> Option<Vec<String>> {
    if path.first()? == "crate" {
        return Some(path[1..].to_vec());
    }
    // `super` in `a/b.rs` (module `a::b`) is `a`.
    let supers = path.iter().take_while(|s| *s == "super").count();
    let mut full = from[..from.len().checked_sub(supers)?].to_vec();
    full.extend_from_slice(&path[supers..]);
    Some(full)
}

fn import_graph(files: &[SourceFile]) -> Graph {
    let known: BTreeMap<&[String], usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (&f.module[..], i))
        .collect();
    let mut masked: Vec<Vec<char>> = files.iter().map(|f| mask(&f.text)).collect();
    let mut test_only = BTreeSet::new();
    for (file, text) in files.iter().zip(&mut masked) {
        for name in strip_test_items(text) {
            let mut child = file.module.clone();
            child.push(name);
            test_only.insert(child);
        }
    }
    // The children of a test-only module are test code too.
    let is_test = |m: &[String]| (1..=m.len()).any(|k| test_only.contains(&m[..k]));
    let mut edges = BTreeMap::new();
    for (from, file) in files
        .iter()
        .enumerate()
        .filter(|(_, f)| !is_test(&f.module[..]))
    {
        for (path, end) in paths(&masked[from]) {
            let Some(full) = absolute(&file.module, &path) else {
                continue;
            };
            // Longest known prefix; the root (empty) is everyone's ancestor anyway.
            let Some(to) = (1..=full.len())
                .rev()
                .find_map(|k| known.get(&full[..k]).copied())
            else {
                continue;
            };
            let (a, b) = (&file.module, &files[to].module);
            if is_test(&b[..]) || a.starts_with(b) || b.starts_with(a) {
                continue;
            }
            let line = 1 + masked[from][..end].iter().filter(|&&c| c == '\n').count();
            edges
                .entry((from, to))
                .or_insert_with(|| format!("{}:{line}", file.display));
        }
    }
    let names = files.iter().map(|f| f.module.join("::")).collect();
    Graph { names, edges }
}

/// Depth first from `v`, pushing each node once it is finished.
fn dfs(adj: &[Vec<usize>], v: usize, seen: &mut [bool], out: &mut Vec<usize>) {
    if !seen[v] {
        seen[v] = true;
        for &w in &adj[v] {
            dfs(adj, w, seen, out);
        }
        out.push(v);
    }
}

/// Strongly connected components of two or more modules (Kosaraju: finish
/// order on the graph, then the reversed graph in reverse finish order),
/// each one, and the list of them, ordered by module name.
fn find_cycles(graph: &Graph) -> Vec<Vec<usize>> {
    let n = graph.names.len();
    let (mut adj, mut rev) = (vec![Vec::new(); n], vec![Vec::new(); n]);
    for &(a, b) in graph.edges.keys() {
        adj[a].push(b);
        rev[b].push(a);
    }
    let (mut seen, mut order) = (vec![false; n], Vec::new());
    for v in 0..n {
        dfs(&adj, v, &mut seen, &mut order);
    }
    let (mut seen, mut found) = (vec![false; n], Vec::new());
    for &v in order.iter().rev() {
        let mut component = Vec::new();
        dfs(&rev, v, &mut seen, &mut component);
        if component.len() > 1 {
            found.push(component);
        }
    }
    let name = |m: &usize| graph.names[*m].clone();
    for c in &mut found {
        c.sort_by_key(name);
    }
    found.sort_by_key(|c| c.iter().map(name).collect::<Vec<_>>());
    found
}

fn report(graph: &Graph, cycles: &[Vec<usize>]) -> String {
    let mut text = String::new();
    for (n, cycle) in cycles.iter().enumerate() {
        let names: Vec<&str> = cycle.iter().map(|&m| graph.names[m].as_str()).collect();
        text += &format!("cycle {}: {}\n", n + 1, names.join(", "));
        for ((a, b), place) in &graph.edges {
            if cycle.contains(a) && cycle.contains(b) {
                text += &format!(
                    "    {} -> {}  ({place})\n",
                    graph.names[*a], graph.names[*b]
                );
            }
        }
    }
    text
}

fn assert_no_cycles(krate: &str) {
    let files = load_crate(krate);
    assert!(files.len() > 1, "found no sources under {krate}/src");
    let graph = import_graph(&files);
    let cycles = find_cycles(&graph);
    assert!(
        cycles.is_empty(),
        "a module of `{krate}` must not import a module that imports it back, directly or \
         through others; break each cycle below by moving what is shared down a layer:\n{}",
        report(&graph, &cycles)
    );
}

#[test]
fn core_has_no_import_cycles() {
    assert_no_cycles("core");
}

#[test]
fn app_has_no_import_cycles() {
    assert_no_cycles("app");
}

#[test]
fn server_has_no_import_cycles() {
    assert_no_cycles("server");
}

/// The checker must be able to fail, and must not cry wolf.
#[test]
fn cycle_finder_finds_cycles_and_only_cycles() {
    let file = |module: &str, text: &str| SourceFile {
        module: module.split("::").map(String::from).collect(),
        display: format!("{}.rs", module.replace("::", "/")),
        text: text.to_string(),
    };
    let files = [
        // a <-> b, through a nested use group and through `super`.
        file("a", "use crate::{x, b::{self, c::{D, E as F}}};\n"),
        file("b", "// crate::zz\nfn f() {\n    super::a::g();\n}\n"),
        // Parents and children, both ways: nesting, not a cycle.
        file("b::c", "use super::*;\nuse crate::b::H;\n"),
        file("p", "pub use crate::p::q::Q;\n"),
        file("p::q", "use crate::p::P;\n"),
        // t <-> u only through a string, a comment and test code.
        file(
            "t",
            "const S: &str = r#\"crate::u::A }\"#;\nconst C: char = '{';\n/* crate::u */\n\
             #[cfg(test)]\n#[allow(unused)]\nmod tests {\n    use crate::u::Z;\n}\n",
        ),
        file("u", "use crate::t::W;\n"),
        // A test-support file, and its children, are test code.
        file("k", "#[cfg(test)]\npub mod testing;\n"),
        file("k::testing", "use crate::v::X;\n"),
        file("k::testing::deep", "use crate::v::X;\n"),
        file("v", "use crate::k::testing::Y;\n"),
        file("x", ""),
    ];
    let graph = import_graph(&files);
    let cycles = find_cycles(&graph);
    let text = report(&graph, &cycles);
    let names: Vec<Vec<&str>> = cycles
        .iter()
        .map(|c| c.iter().map(|&m| graph.names[m].as_str()).collect())
        .collect();
    assert_eq!(names, [["a", "b"]], "{text}");
    assert!(text.contains("a -> b  (a.rs:1)"), "{text}");
    assert!(text.contains("b -> a  (b.rs:3)"), "{text}");
    assert!(
        graph.edges.contains_key(&(0, 2)),
        "a -> b::c, from the nested group"
    );
}
