//! `include_library!`'s reading of a Redis Functions library, one job a module: the
//! `#!lua name=` line and the orchestration here; every `redis.register_function`
//! (positional and table form, with `flags`) in [`registration`]; each function's
//! parameters (a `---@key`/`---@arg`/`---@return` block above the registration or the
//! callback, else inferred from how the callback uses its two parameters) in [`params`];
//! the method names in [`methods`]; the body sent by `FUNCTION LOAD`, with versioned
//! names, in [`body`]; what the macro emits from it in [`emit`].

mod body;
mod emit;
mod methods;
mod params;
mod registration;

use full_moon::visitors::Visitor;

use crate::header::{self, Header};
use crate::lua::{self, Usage};
use crate::names;
use crate::problem::Problem;
use crate::shebang::Shebang;

use body::{loaded_body, plain_body};
pub(crate) use emit::IncludeLibrary;
use registration::{Finder, Name};

/// Function flags Redis 7.0 and Valkey 8.1 accept in `flags={..}` (a test loads a library
/// registering a function with every one of them on each server).
pub(crate) const FLAGS: &[&str] = &[
    "no-writes",
    "allow-oom",
    "allow-stale",
    "no-cluster",
    "allow-cross-slot-keys",
];

/// What the library file says.
#[derive(Default)]
pub(crate) struct Library {
    /// The `name=` of the `#!lua` line.
    pub(crate) name: Option<String>,
    /// Free text of the file's header, the type's docs.
    pub(crate) doc: Vec<String>,
    /// Functions registered with a literal name, in file order.
    pub(crate) functions: Vec<Function>,
    /// Registrations whose name is computed: `(line, the name expression as written)`.
    pub(crate) computed: Vec<(usize, String)>,
    /// Byte ranges of each `redis.register_function` in the file.
    pub(super) sites: Vec<(usize, usize)>,
}

/// One function registered with a literal name.
pub(crate) struct Function {
    /// As registered: `formatTS`.
    pub(crate) name: String,
    /// Its method: `format_ts`.
    pub(crate) method: String,
    /// Parameters, return type and docs; `present` when a tagged block declared them.
    pub(crate) header: Header,
    /// How the callback uses its keys and args parameters (the inferred parameters).
    pub(crate) usage: Usage,
    /// Where the name is written.
    pub(super) line: usize,
    pub(super) col: usize,
}

/// Reads `text`. Problems are collected; what did parse is returned.
pub(crate) fn analyse(text: &str) -> (Library, Vec<Problem>) {
    let mut library = Library::default();
    let mut problems = Vec::new();
    name_line(text, &mut library, &mut problems);
    let (top, _) = header::parse(text);

    let ast = match lua::parse(text) {
        Ok(ast) => ast,
        Err(syntax) => {
            problems.extend(syntax);
            library.doc = top.doc;
            return (library, problems);
        }
    };
    // The checks beyond syntax, in library mode: `KEYS`/`ARGV` are no globals there.
    problems.extend(crate::check::run(
        &ast,
        text,
        &top,
        crate::check::Mode::Library,
    ));
    library.doc = top.doc;
    // The parse blanked the `#!lua` line: its positions are shifted by its length.
    let shift = Shebang::read(text).map_or(0, |line| line.end);
    let mut finder = Finder::default();
    finder.visit_ast(&ast);
    library.sites = finder
        .sites
        .iter()
        .map(|(a, b)| (a + shift, b + shift))
        .collect();

    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    for reg in finder.registrations {
        let (name, line, col) = match reg.name {
            Name::Literal(name, line, col) => (name, line, col),
            Name::Computed(expr, line) => {
                library.computed.push((line, expr));
                continue;
            }
        };
        for (flag, line, col) in &reg.flags {
            if !FLAGS.contains(&flag.as_str()) {
                problems.push(Problem {
                    line: *line,
                    col: *col,
                    message: format!(
                        "unknown function flag `{flag}`; Redis knows {}",
                        FLAGS.join(", ")
                    ),
                });
            }
        }
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            problems.push(Problem {
                line,
                col,
                message: format!(
                    "function name `{name}`: Redis function names can only contain letters, \
                     numbers, or underscores(_) and must be at least one character long"
                ),
            });
            continue;
        }
        let (mut header, usage) = params::of(
            &reg.callback,
            reg.line,
            &finder.defined,
            &lines,
            &mut problems,
        );
        header.flags = reg.flags.iter().map(|(f, _, _)| f.clone()).collect();
        library.functions.push(Function {
            method: names::snake(&name),
            name,
            header,
            usage,
            line,
            col,
        });
    }
    methods::names(&mut library, &mut problems);
    (library, problems)
}

/// The `#!lua name=NAME` line: required, with a name Redis accepts. Its engine and any
/// other option are the `shebang` check's (one mistake, one error).
fn name_line(text: &str, library: &mut Library, problems: &mut Vec<Problem>) {
    let Some(line) = Shebang::read(text) else {
        problems.push(Problem {
            line: 1,
            col: 1,
            message: "a library starts with a `#!lua name=NAME` line, which FUNCTION LOAD \
                      requires (and which names the generated type)"
                .into(),
        });
        return;
    };
    let mut named = false;
    for &(word, col) in &line.options {
        let Some(name) = word.strip_prefix("name=") else {
            continue;
        };
        named = true;
        if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            library.name = Some(name.to_owned());
        } else {
            problems.push(Problem {
                line: 1,
                col: col + 5,
                message: format!(
                    "library name `{name}`: Redis library names can only contain letters, \
                     numbers, or underscores(_) and must be at least one character long"
                ),
            });
        }
    }
    if !named {
        problems.push(Problem {
            line: 1,
            col: 1,
            message: "the `#!lua` line of a library needs `name=NAME`, which FUNCTION LOAD \
                      requires (and which names the generated type)"
                .into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) const QUEUE: &str = "#!lua name=queue\n\
        --- A job queue.\n\
        \n\
        ---@key queue\n\
        ---@arg job &str\n\
        ---@return i64\n\
        redis.register_function('push', function(keys, args)\n\
          return redis.call('RPUSH', keys[1], args[1])\n\
        end)\n\
        local function pop(KEYS, ARGV) return redis.call('LPOP', KEYS[1]) end\n\
        redis.register_function{function_name='popOne', callback=pop, flags={'no-writes'}}\n\
        local prefix = 'q'\n\
        redis.register_function(prefix .. 'len', function(k) return redis.call('LLEN', k[1]) end)\n";

    #[test]
    fn finds_functions_params_and_computed_names() {
        let (lib, problems) = analyse(QUEUE);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(lib.name.as_deref(), Some("queue"));
        assert_eq!(lib.doc, vec!["A job queue."]);
        let names: Vec<_> = lib
            .functions
            .iter()
            .map(|f| (&*f.name, &*f.method))
            .collect();
        assert_eq!(names, vec![("push", "push"), ("popOne", "pop_one")]);
        let push = &lib.functions[0].header;
        assert!(push.present, "{:?}", push.doc);
        assert_eq!(push.keys.len(), 1);
        assert_eq!(push.args.len(), 1);
        let pop = &lib.functions[1];
        assert!(!pop.header.present);
        assert_eq!(pop.usage.keys.max(), 1);
        assert!(pop.header.read_only());
        assert_eq!(lib.computed, vec![(13, "prefix .. 'len'".to_owned())]);
    }

    #[test]
    fn valkeys_server_register_function_is_a_registration() {
        let text = "#!lua name=x\n\
            server.register_function('a', function(keys) return keys[1] end)\n\
            server.register_function{function_name='b', callback=function() end, flags={'no-writes'}}\n\
            -- server.register_function in a comment stays\n";
        let (lib, problems) = analyse(text);
        assert!(problems.is_empty(), "{}", problems.len());
        let names: Vec<_> = lib.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        let plain = plain_body(text, &lib);
        assert_eq!(
            plain.matches("redis.register_function").count(),
            2,
            "{plain}"
        );
        assert!(plain.contains("-- server.register_function in a comment stays"));
        let versioned = loaded_body(text, &lib, "x_0123456789ab", "_0123456789ab");
        assert_eq!(versioned.matches("server.").count(), 1, "{versioned}");
    }

    #[test]
    fn problems() {
        let (_, p) = analyse("redis.register_function('a', function() end)\n");
        assert!(p[0].message.contains("`#!lua name=NAME`"), "{p:?}");
        // One mistake, one error: the `shebang` check's.
        let (_, p) = analyse("#!lua name=x flags=no-writes\n");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].message
                .starts_with("`flags=no-writes`: a library's `#!lua` line takes only `name=`"),
            "{p:?}"
        );
        let (_, p) = analyse(
            "#!lua name=x\nredis.register_function{function_name='a', callback=function() end, flags={'no-write'}}\n",
        );
        assert_eq!((p[0].line, p[0].col), (2, 76));
        assert!(
            p[0].message.contains("unknown function flag `no-write`"),
            "{p:?}"
        );
        let (_, p) =
            analyse("#!lua name=x\nredis.register_function('a', function() return KEYS[1] end)\n");
        assert!(p[0].message.contains("`KEYS` is not a global"), "{p:?}");
    }
}
