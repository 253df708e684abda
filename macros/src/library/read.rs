//! Reading a library's text: the `#!lua name=` line, every registration with its flags,
//! parameters and method name, and the checks beyond syntax in library mode.

use full_moon::visitors::Visitor;

use super::registration::{Finder, Name};
use super::{Function, Library, methods, params};
use crate::header;
use crate::lua;
use crate::names;
use crate::problem::Problem;
use crate::shebang::Shebang;

/// Function flags Redis 7.0 and Valkey 8.1 accept in `flags={..}` (a test loads a library
/// registering a function with every one of them on each server).
const FLAGS: &[&str] = &[
    "no-writes",
    "allow-oom",
    "allow-stale",
    "no-cluster",
    "allow-cross-slot-keys",
];

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
        let (mut header, usage, shape) = params::of(
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
            shape,
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
pub(super) mod tests {
    use super::*;

    pub(in super::super) const QUEUE: &str = "#!lua name=queue\n\
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
    fn callbacks_without_a_tagged_block_infer_optional_arguments_and_tails() {
        let (lib, problems) = analyse(
            "#!lua name=x\n\
             redis.register_function('opt', function(keys, args)\n\
               if args[2] then return args[2] end\n\
               return args[1]\n\
             end)\n\
             local function tail(k, a)\n\
               for i = 2, #a do redis.call('SADD', k[1], a[i]) end\n\
               return a[1]\n\
             end\n\
             redis.register_function('tail', tail)\n\
             redis.register_function('req', function(keys, args)\n\
               if not args[1] then return redis.error_reply('need one') end\n\
               return args[1]\n\
             end)\n\
             ---@arg a? &str\n\
             redis.register_function('tagged', function(keys, args)\n\
               return args[1] or 'x'\n\
             end)\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        let shapes: Vec<_> = lib
            .functions
            .iter()
            .map(|f| (f.name.as_str(), f.shape.optional_from, f.shape.args_tail))
            .collect();
        assert_eq!(
            shapes,
            [
                ("opt", Some(2), None),
                ("tail", None, Some(2)),
                ("req", None, None),
                ("tagged", None, None),
            ]
        );
    }

    /// Valkey's `server.register_function` registers functions too.
    pub(in super::super) const SERVER_ALIAS: &str = "#!lua name=x\n\
        server.register_function('a', function(keys) return keys[1] end)\n\
        server.register_function{function_name='b', callback=function() end, flags={'no-writes'}}\n\
        -- server.register_function in a comment stays\n";

    #[test]
    fn valkeys_server_register_function_is_a_registration() {
        let (lib, problems) = analyse(SERVER_ALIAS);
        assert!(problems.is_empty(), "{}", problems.len());
        let names: Vec<_> = lib.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
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
