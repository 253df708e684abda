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
    let input: Input = match syn::parse2(input) {
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
        reload: &input
            .reload
            .as_ref()
            .map_or_else(|| "load".to_owned(), ToString::to_string),
        aio: cfg!(feature = "aio"),
    });
    let errors = errors
        .iter()
        .map(|message| syn::Error::new(input.span(), message).to_compile_error());
    quote! {
        #(#errors)*
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
    if composed.text.trim().is_empty() {
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
        let runs = 20;
        let start = std::time::Instant::now();
        for _ in 0..runs {
            let out = expand(input.clone()).to_string();
            assert!(!out.contains("compile_error"), "{out}");
        }
        let per = start.elapsed() / runs;
        println!(
            "expansion of a {}-line, {}-byte script: {per:?} per expansion (mean of {runs})",
            script.lines().count(),
            script.len()
        );
        // The part the beyond-syntax checks add: their run over the parsed script.
        let (header, _) = header::parse(&script);
        let ast = lua::parse(&script).unwrap();
        let start = std::time::Instant::now();
        for _ in 0..runs {
            assert!(check::run(&ast, &script, &header, Mode::Script).is_empty());
        }
        let checks = start.elapsed() / runs;
        println!("of which the checks beyond syntax: {checks:?} (mean of {runs})");
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
