//! The checks over the real-project corpus (`tests/corpus/SOURCES`, fetched into
//! `target/corpus` by `.ci/fetch-corpus`, which `.ci/test` runs first): every `script`
//! passes clean, and every `finding` script gets exactly the problems
//! `tests/corpus/FINDINGS` lists (each confirmed on the servers by
//! `tests/check_findings.rs`). So a check that starts firing on real code, or stops
//! finding a real problem, fails here.

use std::collections::BTreeSet;

const ROOT: &str = "..";

/// `(file under target/corpus, line:col, check)` of every problem the checks report on
/// `file`, through the whole expansion (composition included).
fn problems(file: &str) -> BTreeSet<(String, String, String)> {
    let rel = format!("{ROOT}/target/corpus/{file}");
    let out =
        crate::expand::expand::<crate::script::IncludeScript>(quote::quote!(#rel)).to_string();
    let mut found = BTreeSet::new();
    for piece in out.split("compile_error").skip(1) {
        // `! { "PATH:LINE:COL: message [check]\n..." }`
        let message = piece.split("\\n").next().unwrap_or(piece);
        let Some(rest) = message.split_once(&format!("{rel}:")).map(|(_, r)| r) else {
            found.insert((file.to_owned(), "?".into(), message.to_owned()));
            continue;
        };
        let mut parts = rest.splitn(3, ':');
        let (line, col) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let check = rest
            .rsplit_once('[')
            .and_then(|(_, c)| c.split_once(']'))
            .map_or_else(|| rest.to_owned(), |(c, _)| c.to_owned());
        found.insert((file.to_owned(), format!("{line}:{col}"), check));
    }
    found
}

#[test]
fn real_scripts_pass_clean_and_findings_are_exactly_the_listed_ones() {
    let sources = std::fs::read_to_string(format!("{ROOT}/tests/corpus/SOURCES")).unwrap();
    let listed = std::fs::read_to_string(format!("{ROOT}/tests/corpus/FINDINGS")).unwrap();
    let mut scripts = Vec::new();
    let mut findings = Vec::new();
    for line in sources.lines() {
        let words: Vec<&str> = line.split('#').next().unwrap().split_whitespace().collect();
        match words[..] {
            ["script", package, version, _, path] => {
                scripts.push(format!("{package}-{version}/{path}"));
            }
            ["finding", package, version, _, path] => {
                findings.push(format!("{package}-{version}/{path}"));
            }
            _ => {}
        }
    }
    let missing: Vec<&String> = scripts
        .iter()
        .chain(&findings)
        .filter(|f| !std::path::Path::new(&format!("{ROOT}/target/corpus/{f}")).is_file())
        .collect();
    assert!(
        missing.is_empty(),
        "{} corpus files are missing, e.g. target/corpus/{}: run .ci/fetch-corpus",
        missing.len(),
        missing[0]
    );
    let mut reported = BTreeSet::new();
    for file in scripts.iter().chain(&findings) {
        reported.extend(problems(file));
    }
    let expected: BTreeSet<(String, String, String)> = listed
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("run ") && !l.trim().is_empty())
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w[0].to_owned(), w[1].to_owned(), w[2].to_owned())
        })
        .collect();
    let unexpected: Vec<_> = reported.difference(&expected).collect();
    let vanished: Vec<_> = expected.difference(&reported).collect();
    assert!(
        unexpected.is_empty() && vanished.is_empty(),
        "reported but not in tests/corpus/FINDINGS (a false positive, or a real problem to \
         confirm on a server and list): {unexpected:#?}\nlisted but no longer reported: \
         {vanished:#?}"
    );
    assert!(scripts.len() >= 150 && !findings.is_empty());
}
