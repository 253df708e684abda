//! Writes one `include_script!` per `script` line of tests/corpus/SOURCES, for the files
//! `.ci/fetch-corpus` extracted into target/corpus/. Without them (not fetched yet) it
//! writes an empty list and the tests fail saying so; the build itself stays green.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    let root = Path::new(&manifest).join("../..");
    let sources = root.join("tests/corpus/SOURCES");
    let corpus = root.join("target/corpus");
    println!("cargo::rerun-if-changed={}", sources.display());
    println!("cargo::rerun-if-changed={}", corpus.display());
    println!("cargo::rustc-check-cfg=cfg(corpus_missing)");

    let text = std::fs::read_to_string(&sources).unwrap();
    let mut code = String::new();
    let mut table = String::new();
    let mut missing = 0;
    let mut n = 0;
    for line in text.lines() {
        let words: Vec<&str> = line.split('#').next().unwrap().split_whitespace().collect();
        let ["script", package, version, _sha, path] = words[..] else {
            continue;
        };
        let rel = format!("target/corpus/{package}-{version}/{path}");
        if !root.join(&rel).is_file() {
            missing += 1;
            continue;
        }
        writeln!(
            code,
            "::evalsha::include_script!(pub S{n} = \"../../{rel}\");"
        )
        .unwrap();
        writeln!(table, "    (\"{package}-{version}\", S{n}::script),").unwrap();
        n += 1;
    }
    if missing > 0 {
        println!("cargo::rustc-cfg=corpus_missing");
        println!("cargo::warning={missing} corpus files are missing: run .ci/fetch-corpus");
        code.clear();
        table.clear();
    }
    code.push_str(
        "/// Every compiled corpus script: its package and version, and its `Script`.\n\
         pub static SCRIPTS: &[Entry] = &[\n",
    );
    code.push_str(&table);
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("corpus.rs");
    std::fs::write(out, code).unwrap();
}
