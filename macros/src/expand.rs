//! The expansion as a plain function over `proc_macro2` tokens: read the file, check it,
//! emit the type. Every problem becomes a `compile_error!` at the path literal reading
//! `file:line:col: problem`, and the type is emitted anyway so errors do not cascade.

use std::path::Path;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use sha1::{Digest, Sha1};
use syn::Ident;

use crate::check::{self, Mode};
use crate::codegen::{self, Model};
use crate::compose::{self, Composed};
use crate::diagnostic;
use crate::file;
use crate::header::{self, Header, Problem};
use crate::input::Input;
use crate::lua;
use crate::names;

/// Expands `include_script!(input)`.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input: Input = match syn::parse2(input).and_then(|input: Input| {
        input.check_options(&[("reload", "reload policy", &["load", "eval", "never"])])?;
        Ok(input)
    }) {
        Ok(input) => input,
        Err(err) => return err.to_compile_error(),
    };
    let path = input.path.value();
    let name = input.name.clone().unwrap_or_else(|| {
        let stem = Path::new(&path)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ident::new(&names::upper_camel(&stem), Span::call_site())
    });

    let mut errors: Vec<String> = Vec::new();
    let mut header = Header::default();
    let mut usage = lua::Usage::default();
    let mut sha1 = String::new();
    let mut composed = None;
    // The source file of the path literal (the user's file, also when the call went
    // through `evalsha::include_script!`), for the "exists beside the source" hint.
    let caller = input.path.span().local_file();
    match file::read(&path, caller.as_deref()) {
        Ok(script) => {
            let (script, problems) = check(&path, script);
            sha1 = hex_sha1(script.composed.text.as_bytes());
            header = script.header;
            usage = script.usage;
            errors.extend(
                problems
                    .iter()
                    .map(|p| diagnostic::render(&script.composed, p)),
            );
            composed = Some(script.composed);
        }
        Err(message) => errors.push(message),
    }

    let code = codegen::emit(&Model {
        krate: &input.krate,
        vis: &input.vis,
        name: &name,
        path: &path,
        composed: composed.as_ref(),
        sha1: &sha1,
        header: &header,
        usage: &usage,
        reload: &input.option("reload").unwrap_or_else(|| "load".to_owned()),
        aio: cfg!(feature = "aio"),
    });
    let errors = errors
        .iter()
        .map(|message| syn::Error::new(input.span(), message).to_compile_error());
    // The crate's `[package.metadata.evalsha] servers`: its errors, and the rebuild
    // trigger on `Cargo.toml`.
    let targets = crate::targets::tokens(&input.krate, input.span());
    quote! {
        #(#errors)*
        #targets
        #code
    }
}

/// A script read, composed and checked.
struct Checked {
    composed: Composed,
    header: Header,
    usage: lua::Usage,
}

/// Composes the script from its files, parses its header and its Lua, and checks one
/// against the other. Problems are positions in the composed text, sorted.
fn check(path: &str, script: file::ScriptFile) -> (Checked, Vec<Problem>) {
    let (composed, mut problems) = compose::compose(path, script.absolute, script.text);
    // (After a failed include the text may be empty only because of it: one error.)
    if composed.text.trim().is_empty() && problems.is_empty() {
        problems.push(Problem {
            line: 1,
            col: 1,
            message: "the script is empty".into(),
        });
    }
    // The header is the top-level file's own: its lines are lines of that file.
    let (header, header_problems) = header::parse(&composed.parts[0].text);
    problems.extend(header_problems.into_iter().map(|p| Problem {
        line: composed.composed_line(0, p.line).unwrap_or(p.line),
        ..p
    }));
    problems.extend(header::tags_in_included(&composed));
    let mut usage = lua::Usage::default();
    match lua::parse(&composed.text) {
        Ok(ast) => {
            let found = lua::usage(&ast);
            problems.extend(lua::check(&header, &found));
            problems.extend(check::run(&ast, &composed.text, &header, Mode::Script));
            usage = found;
        }
        Err(syntax) => {
            // A misplaced `#!lua` line is a syntax error: say what is wrong there.
            let shebang = check::run_on_text(&composed.text);
            problems.extend(
                syntax
                    .into_iter()
                    .filter(|p| !shebang.iter().any(|s| s.line == p.line)),
            );
            problems.extend(shebang);
        }
    }
    problems.sort_by_key(|p| (p.line, p.col));
    (
        Checked {
            composed,
            header,
            usage,
        },
        problems,
    )
}

/// Lowercase hex SHA1, as Redis computes it for `SCRIPT LOAD`.
pub(crate) fn hex_sha1(bytes: &[u8]) -> String {
    Sha1::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUNS: u32 = 20;

    /// Mean wall time and on-CPU time (this thread's, from Linux's
    /// `/proc/thread-self/schedstat`; zero elsewhere) of `RUNS` runs of `f`: on a shared
    /// machine the CPU time is the figure that does not depend on the load.
    fn timed(mut f: impl FnMut()) -> (std::time::Duration, std::time::Duration) {
        fn cpu() -> u64 {
            std::fs::read_to_string("/proc/thread-self/schedstat")
                .ok()
                .and_then(|s| s.split_whitespace().next()?.parse().ok())
                .unwrap_or(0)
        }
        let (start, start_cpu) = (std::time::Instant::now(), cpu());
        for _ in 0..RUNS {
            f();
        }
        let cpu = std::time::Duration::from_nanos(cpu() - start_cpu);
        (start.elapsed() / RUNS, cpu / RUNS)
    }

    /// [`timed`] `RUNS` expansions of `input`, each without errors.
    fn time_expansions(input: &TokenStream) -> (std::time::Duration, std::time::Duration) {
        timed(|| {
            let out = expand(input.clone()).to_string();
            assert!(!out.contains("compile_error"), "{out}");
        })
    }

    /// Expansion time of a 2,000-line script. Run with
    /// `cargo test --release -p evalsha-macros expansion_time -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement: prints the time, asserts no timing"]
    fn expansion_time_of_a_2000_line_script() {
        let mut script = String::from(
            "--- A long generated script.\n---@key counter\n---@arg step i64\n---@return i64\n",
        );
        while script.lines().count() < 1_999 {
            let n = script.lines().count();
            script.push_str(&format!(
                "local v{n} = redis.call('INCRBY', KEYS[1], tonumber(ARGV[1]) + {n}) -- step {n}\n"
            ));
        }
        script.push_str("return redis.call('GET', KEYS[1])\n");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("expand_2000.lua"), &script).unwrap();
        let input: TokenStream = quote!("../target/expand_2000.lua");
        let (wall, cpu) = time_expansions(&input);
        println!(
            "expansion of a {}-line, {}-byte script: {wall:?} wall, {cpu:?} on-CPU per expansion (mean of {RUNS})",
            script.lines().count(),
            script.len()
        );
        // The part the beyond-syntax checks add: their run over the parsed script.
        let (header, _) = header::parse(&script);
        let ast = lua::parse(&script).unwrap();
        let (wall, cpu) = timed(|| {
            assert!(check::run(&ast, &script, &header, Mode::Script).is_empty());
        });
        println!(
            "of which the checks beyond syntax: {wall:?} wall, {cpu:?} on-CPU (mean of {RUNS})"
        );
    }

    /// Expansion time of the largest composed BullMQ command of the corpus (fetched by
    /// `.ci/fetch-corpus`). Run with
    /// `cargo test --release -p evalsha-macros expansion_time -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement: prints the time, asserts no timing"]
    fn expansion_time_of_the_largest_composed_bullmq_script() {
        let dir = "../target/corpus/bullmq-6.7.0/package/dist/cjs/commands";
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let entries = std::fs::read_dir(root.join(dir)).expect("run .ci/fetch-corpus first");
        let (size, path, files) = entries
            .filter_map(|e| {
                let name = e.ok()?.file_name().into_string().ok()?;
                let path = format!("{dir}/{name}");
                let file = file::read(&path, None).ok()?;
                let (checked, _) = check(&path, file);
                Some((
                    checked.composed.text.len(),
                    path,
                    checked.composed.parts.len(),
                ))
            })
            .max()
            .unwrap();
        let input: TokenStream = quote!(#path);
        let (wall, cpu) = time_expansions(&input);
        println!(
            "expansion of {path}: {size} bytes composed from {files} files: {wall:?} wall, {cpu:?} on-CPU per expansion (mean of {RUNS})"
        );
    }

    /// Expands every `.lua` file under `target/explore/` (scripts copied there by hand to
    /// look for classes of problems; not a test of anything) and prints each file's
    /// errors. Fragments under an `includes/` directory are skipped: they are compiled
    /// through the scripts that include them. Run with
    /// `cargo test -p evalsha-macros explore -- --ignored --nocapture`.
    #[test]
    #[ignore = "an exploration aid: prints, asserts nothing"]
    fn explore() {
        /// `.lua` files below `dir`, as paths relative to this crate's directory.
        fn walk(root: &std::path::Path, dir: &str, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(root.join(dir))
                .into_iter()
                .flatten()
                .flatten()
            {
                let name = entry.file_name().to_string_lossy().into_owned();
                let path = format!("{dir}/{name}");
                if entry.path().is_dir() {
                    walk(root, &path, out);
                } else if name.ends_with(".lua") && !dir.ends_with("/includes") {
                    out.push(path);
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        walk(root, "../target/explore", &mut files);
        files.sort();
        let (mut ok, mut failed) = (0, 0);
        for path in files {
            let problems = match file::read(&path, None) {
                Ok(script) => {
                    let (checked, problems) = check(&path, script);
                    problems
                        .iter()
                        .map(|p| diagnostic::render(&checked.composed, p))
                        .collect()
                }
                Err(message) => vec![message],
            };
            if problems.is_empty() {
                ok += 1;
            } else {
                failed += 1;
                problems.iter().for_each(|p| println!("{p}"));
            }
        }
        println!("{ok} compiled, {failed} with errors");
    }

    #[test]
    fn sha1_matches_known_value() {
        // redis-cli SCRIPT LOAD "return 1"
        assert_eq!(
            hex_sha1(b"return 1"),
            "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"
        );
    }
}
