//! Writes one `include_script!` per `script` line of tests/corpus/SOURCES, and one
//! `include_library!` per `library` line, for the files `.ci/fetch-corpus` extracted into
//! target/corpus/. Without them (not fetched yet) it writes empty lists and the tests fail
//! saying so; the build itself stays green.

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
    let mut libraries: std::collections::BTreeMap<String, String> = Default::default();
    let mut library_table = String::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split('#').next().unwrap().split_whitespace().collect();
        if let ["library", package, version, _sha, out, ..] = words[..] {
            // As .ci/corpus.py names the directory: `@scope/name` -> `@scope+name`.
            let dir = format!("{}-{version}", package.replace('/', "+"));
            let rel = format!("target/corpus/{dir}/libraries/{out}.lua");
            if !root.join(&rel).is_file() {
                missing += 1;
                continue;
            }
            // `rustis_0_27_2::Examples`: a module per package, a type per library.
            let module: String = dir
                .trim_start_matches('@')
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let ty = upper_camel(out);
            writeln!(
                libraries.entry(module.clone()).or_default(),
                "        ::evalsha::include_library!(pub {ty} = \"../../{rel}\");"
            )
            .unwrap();
            writeln!(
                library_table,
                "    (\"{package}-{version}\", \"{out}\", libraries::{module}::{ty}::library),"
            )
            .unwrap();
            continue;
        }
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
        libraries.clear();
        library_table.clear();
    }
    code.push_str(
        "/// Every compiled corpus script: its package and version, and its `Script`.\n\
         pub static SCRIPTS: &[Entry] = &[\n",
    );
    code.push_str(&table);
    code.push_str("];\n");
    code.push_str(
        "/// Every compiled corpus library, one module per package.\n\
         #[allow(missing_docs)]\n\
         pub mod libraries {\n",
    );
    for (module, types) in &libraries {
        writeln!(code, "    pub mod {module} {{\n{types}    }}").unwrap();
    }
    code.push_str(
        "}\n\
         /// Every compiled corpus library: its package and version, its name in SOURCES,\n\
         /// and its `Library`.\n\
         pub static LIBRARIES: &[LibraryEntry] = &[\n",
    );
    code.push_str(&library_table);
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("corpus.rs");
    std::fs::write(out, code).unwrap();
}

/// `mylib_set` -> `MylibSet`.
fn upper_camel(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            let first = chars.next().unwrap().to_ascii_uppercase();
            std::iter::once(first).chain(chars).collect::<String>()
        })
        .collect()
}
