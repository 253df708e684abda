//! Checks beyond syntax: what Redis would reject, or silently mangle, at run time, found at
//! compile time. One module per check, each with the kebab-case name users silence it by
//! (`---@diagnostic disable-next-line: NAME`, see [`suppress`]), all reading one shared
//! scope analysis ([`scope`]) and the server-derived environment ([`crate::env`]).
//!
//! The entry point is [`run`]: the parsed chunk, the header facts and whether the file is
//! a script (`EVAL`) or a function library (`FUNCTION LOAD`), which changes what is a
//! global (`KEYS`/`ARGV` are a script's, `redis.register_function` a library's).
//!
//! The checks answer for the crate's target servers ([`crate::targets`]): with targets,
//! what a script uses must exist on every target ([`Context::accepts`]); without, on some
//! shipped server, except a global, which must exist on all of them.

mod bool_arg;
mod command_arity;
mod commands;
mod dropped_return;
mod escape;
mod global_write;
mod option_arg;
pub(crate) mod scope;
pub(crate) mod shebang;
mod suppress;
mod undefined_global;
mod unknown_command;
mod write_in_read_only;

use full_moon::ast::Ast;

use crate::env::{self, Server};
use crate::header::Header;
use crate::problem::Problem;
use crate::targets::{self, Targets};

/// What kind of file is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A script run with `EVAL`/`EVALSHA`: `KEYS` and `ARGV` are globals.
    Script,
    /// A function library loaded with `FUNCTION LOAD`: functions get keys and arguments as
    /// parameters, and the chunk registers them with `redis.register_function`.
    Library,
}

/// A problem one check found, before suppression.
pub(crate) struct Finding {
    pub(crate) line: usize,
    pub(crate) col: usize,
    pub(crate) message: String,
}

/// `redis.register_function`, or Valkey's alias `server.register_function`, which
/// `include_library!` rewrites into the first (so it is no Valkey-only global there).
pub(crate) fn is_register_function(table: &str, field: &str) -> bool {
    matches!(table, "redis" | "server") && field == "register_function"
}

/// What every check reads.
pub(crate) struct Context<'a> {
    pub(crate) text: &'a str,
    pub(crate) header: &'a Header,
    pub(crate) mode: Mode,
    pub(crate) facts: &'a scope::Facts,
    /// The servers the checks answer for: the crate's targets, else every shipped one.
    pub(crate) servers: &'a [&'static Server],
    /// Whether [`Context::servers`] are the crate's own targets.
    pub(crate) exact: bool,
}

impl Context<'_> {
    /// Whether every server has the global `name` (in this mode).
    pub(crate) fn is_global(&self, name: &str) -> bool {
        match (self.mode, name) {
            (Mode::Library, "KEYS" | "ARGV") => false,
            _ => self.servers.iter().all(|s| s.globals.contains(name)),
        }
    }

    /// Whether `table` has the field `field` (in this mode), as [`Context::accepts`] counts.
    pub(crate) fn has_field(&self, table: &str, field: &str) -> bool {
        if self.mode == Mode::Library && is_register_function(table, field) {
            return true;
        }
        let key = format!("{table}.{field}");
        self.accepts(|s| s.fields.contains(key.as_str()))
    }

    /// Whether what `has` looks for (a command, a field, a flag) counts as there: with
    /// targets, when every target has it; without, when some shipped server has it.
    pub(crate) fn accepts(&self, has: impl Fn(&Server) -> bool) -> bool {
        if self.exact {
            self.servers.iter().all(|s| has(s))
        } else {
            self.servers.iter().any(|s| has(s))
        }
    }

    /// The servers the checks answer for that lack what `has` looks for.
    pub(crate) fn lacking(&self, has: impl Fn(&Server) -> bool) -> Vec<&'static Server> {
        self.servers.iter().copied().filter(|s| !has(s)).collect()
    }

    /// `Redis 7.0`, for a message; with targets `Redis 7.0 (targeted in Cargo.toml)`, so
    /// the reader knows where the list comes from.
    pub(crate) fn names(&self, servers: &[&Server]) -> String {
        let names = env::names(servers);
        if self.exact {
            format!("{names} (targeted in Cargo.toml)")
        } else {
            names
        }
    }

    /// `; Redis 8.0, Valkey 9.1 have it`: the shipped servers outside `lacking` that have
    /// what `has` looks for, for a message about `lacking`; empty when none does.
    pub(crate) fn elsewhere(&self, lacking: &[&Server], has: impl Fn(&Server) -> bool) -> String {
        let having: Vec<&Server> = env::servers()
            .iter()
            .filter(|s| has(s) && !lacking.iter().any(|l| l.id == s.id))
            .collect();
        match having.len() {
            0 => String::new(),
            1 => format!("; {} has it", env::names(&having)),
            _ => format!("; {} have it", env::names(&having)),
        }
    }

    /// Whether `table` is a library table (some server lists fields of it).
    pub(crate) fn is_library(&self, table: &str) -> bool {
        self.servers.iter().any(|s| s.tables.contains(table))
    }
}

type CheckFn = fn(&Context, &mut Vec<Finding>);

/// Every check, by name.
const CHECKS: &[(&str, CheckFn)] = &[
    ("undefined-global", undefined_global::check),
    ("global-write", global_write::check),
    ("unknown-command", unknown_command::check),
    ("command-arity", command_arity::check),
    ("write-in-read-only", write_in_read_only::check),
    ("shebang", shebang::check),
    ("dropped-return", dropped_return::check),
    ("escape", escape::check),
    ("bool-arg", bool_arg::check),
    ("option-arg", option_arg::check),
];

/// Runs every check over a parsed file, for the target servers of the crate being
/// compiled ([`targets::read`]; what is wrong with its `servers` line is reported by
/// [`targets::tokens`], once per expansion). Problems come back with the check's name in
/// brackets, minus those a `---@diagnostic` comment switches off; a message repeated
/// (the same misspelt global on ten lines) is reported at its first place only.
pub(crate) fn run(ast: &Ast, text: &str, header: &Header, mode: Mode) -> Vec<Problem> {
    run_for(ast, text, header, mode, &targets::read())
}

/// [`run`] for the given targets.
pub(crate) fn run_for(
    ast: &Ast,
    text: &str,
    header: &Header,
    mode: Mode,
    targets: &Targets,
) -> Vec<Problem> {
    run_on(&scope::analyse(ast.nodes()), text, header, mode, targets)
}

/// [`run_for`] over the facts [`scope::analyse`] found (taken where the syntax tree is, see
/// [`crate::lua::on_large_stack`]).
pub(crate) fn run_on(
    facts: &scope::Facts,
    text: &str,
    header: &Header,
    mode: Mode,
    targets: &Targets,
) -> Vec<Problem> {
    let cx = Context {
        text,
        header,
        mode,
        facts,
        servers: &targets.servers,
        exact: targets.exact,
    };
    let suppressions = suppress::Suppressions::read(text);
    let mut problems: Vec<Problem> = Vec::new();
    for (name, check) in CHECKS {
        let mut findings = Vec::new();
        check(&cx, &mut findings);
        for finding in findings {
            if suppressions.silenced(name, finding.line) {
                continue;
            }
            let message = format!("{} [{name}]", finding.message);
            if problems.iter().any(|p| p.message == message) {
                continue;
            }
            problems.push(Problem {
                line: finding.line,
                col: finding.col,
                message,
            });
        }
    }
    problems
}

/// The checks that need no parse, for a file that is not valid Lua: a misplaced `#!lua`
/// line is a syntax error too, and this says what is wrong with it.
pub(crate) fn run_on_text(text: &str) -> Vec<Problem> {
    let suppressions = suppress::Suppressions::read(text);
    shebang::misplaced(text)
        .into_iter()
        .filter(|f| !suppressions.silenced("shebang", f.line))
        .map(|f| Problem {
            line: f.line,
            col: f.col,
            message: format!("{} [shebang]", f.message),
        })
        .collect()
}

/// `"`GET`"` and so on: a name in backticks.
pub(crate) fn code(name: &str) -> String {
    format!("`{name}`")
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// The problems of `code` as a function library.
    pub(crate) fn library_problems(code: &str) -> Vec<String> {
        problems_in(code, Mode::Library, &Targets::all())
    }

    #[test]
    fn a_library_registers_functions_and_has_no_keys_or_argv_globals() {
        let code = "#!lua name=queue\nlocal function push(keys, args)\n  \
                    return redis.call('RPUSH', keys[1], args[1])\nend\n\
                    redis.register_function('push', push)\n\
                    redis.register_function{function_name = 'len', callback = function(keys) \
                    return redis.call('LLEN', keys[1]) end, flags = {'no-writes'}}";
        assert_eq!(library_problems(code), Vec::<String>::new());
        // The same calls in a script: no `name=`, no `register_function`.
        let p = problems(code);
        assert_eq!(p.len(), 2, "{p:#?}");
        assert!(
            p[0].contains("only while a function library loads"),
            "{}",
            p[0]
        );
        let p = library_problems(
            "#!lua name=x\nredis.register_function('f', function() return KEYS[1] end)",
        );
        assert_eq!(p.len(), 1, "{p:#?}");
        assert!(
            p[0].contains("`KEYS` is not a global in a function library"),
            "{}",
            p[0]
        );
    }

    /// The problems of `code` as a script with the header `code` starts with, checked
    /// against every shipped environment.
    pub(crate) fn problems(code: &str) -> Vec<String> {
        problems_in(code, Mode::Script, &Targets::all())
    }

    /// The problems of `code` in a crate whose `Cargo.toml` sets
    /// `[package.metadata.evalsha] servers = [servers..]`.
    pub(crate) fn targeted(code: &str, mode: Mode, servers: &[&str]) -> Vec<String> {
        let list: Vec<String> = servers.iter().map(|s| format!("{s:?}")).collect();
        let manifest = format!(
            "[package.metadata.evalsha]\nservers = [{}]\n",
            list.join(", ")
        );
        let targets = Targets::from_manifest(&manifest);
        assert!(targets.errors.is_empty(), "{:?}", targets.errors);
        problems_in(code, mode, &targets)
    }

    fn problems_in(code: &str, mode: Mode, targets: &Targets) -> Vec<String> {
        let (header, _) = crate::header::parse(code);
        let ast = crate::lua::parse(code).expect("valid Lua");
        run_for(&ast, code, &header, mode, targets)
            .into_iter()
            .map(|p| format!("{}:{}: {}", p.line, p.col, p.message))
            .collect()
    }
}
