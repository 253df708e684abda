//! `undefined-global`: reading a global the server's Lua does not have (`print` on Redis
//! 7, `os`, `bit32`, `utf8`, `setfenv`, a misspelt local), or a field no server's library
//! table has (`table.unpack`, `string.gfind`). Redis raises "Script attempted to access
//! nonexistent global variable" for the first, and calling the second calls `nil`.
//!
//! Globals are those every server has (every target, or every shipped server); a field
//! counts as [`Context::accepts`] says (without targets, when any server has it), and a
//! guarded read never fires (reading a missing field is `nil`, not an error, so
//! `if redis.REDIS_VERSION then` is legitimate).

use super::scope::UseKind;
use super::{Context, Finding, code};
use crate::env;

pub(crate) fn check(cx: &Context, out: &mut Vec<Finding>) {
    // A global the script assigns is global-write's mistake; its reads are not another one.
    let assigned: std::collections::HashSet<&str> = cx
        .facts
        .globals
        .iter()
        .filter(|g| matches!(g.kind, UseKind::Write | UseKind::Define))
        .map(|g| g.name.as_str())
        .collect();
    let assigned = |name: &str| assigned.contains(name);
    // A field the script defines (`function table.extend()`) is global-write's mistake.
    let defined: std::collections::HashSet<(&str, &str)> = cx
        .facts
        .globals
        .iter()
        .filter(|g| g.kind == UseKind::FieldWrite)
        .filter_map(|g| g.field.as_ref().map(|(f, _)| (g.name.as_str(), f.as_str())))
        .collect();
    for global in &cx.facts.globals {
        if !cx.is_global(&global.name) {
            if !matches!(global.kind, UseKind::Read | UseKind::FieldWrite) || assigned(&global.name)
            {
                continue;
            }
            // Valkey's `server.register_function` in a library: rewritten into
            // `redis.register_function` by `include_library!`.
            if cx.mode == super::Mode::Library
                && global
                    .field
                    .as_ref()
                    .is_some_and(|(f, _)| super::is_register_function(&global.name, f))
            {
                continue;
            }
            out.push(Finding {
                line: global.pos.line,
                col: global.pos.col,
                message: unknown_global(cx, &global.name),
            });
            continue;
        }
        if global.kind != UseKind::Read || global.guarded || !cx.is_library(&global.name) {
            continue;
        }
        if let Some((field, pos)) = &global.field
            && !cx.has_field(&global.name, field)
            && !defined.contains(&(global.name.as_str(), field.as_str()))
        {
            let table = &global.name;
            if table == "redis" && field == "register_function" {
                out.push(Finding {
                    line: pos.line,
                    col: pos.col,
                    message: "`redis.register_function` exists only while a function library \
                              loads (`FUNCTION LOAD`); in a script it is nil: include a library \
                              with `include_library!`"
                        .to_owned(),
                });
                continue;
            }
            let key = format!("{table}.{field}");
            let has = |s: &env::Server| s.fields.contains(key.as_str());
            let lacking = cx.lacking(has);
            if lacking.len() < cx.servers.len() {
                // Only with targets: some have it, some do not.
                out.push(Finding {
                    line: pos.line,
                    col: pos.col,
                    message: format!(
                        "{} is nil on {}, where calling it fails{}; test it first (`if {key} \
                         then`) or drop the targets that lack it",
                        code(&key),
                        cx.names(&lacking),
                        cx.elsewhere(&lacking, has)
                    ),
                });
                continue;
            }
            let hint = if cx.is_global(field) {
                format!("; did you mean the global {}?", code(field))
            } else {
                let prefix = format!("{table}.");
                let fields = cx
                    .servers
                    .iter()
                    .flat_map(|s| s.fields.iter())
                    .filter_map(|f| f.strip_prefix(&prefix));
                env::closest(field, fields)
                    .map(|f| format!("; did you mean {}?", code(&format!("{table}.{f}"))))
                    .unwrap_or_else(|| cx.elsewhere(&lacking, has))
            };
            out.push(Finding {
                line: pos.line,
                col: pos.col,
                message: format!(
                    "{} is nil on every {} ({}): the Lua of Redis is 5.1{hint}",
                    code(&key),
                    if cx.exact { "target" } else { "server" },
                    env::names(cx.servers)
                ),
            });
        }
    }
}

fn unknown_global(cx: &Context, name: &str) -> String {
    if cx.mode == super::Mode::Library && (name == "KEYS" || name == "ARGV") {
        return format!(
            "{} is not a global in a function library: a function gets its keys and \
             arguments as its two parameters",
            code(name)
        );
    }
    let has = |s: &env::Server| s.globals.contains(name);
    let lacking = cx.lacking(has);
    let elsewhere = cx.elsewhere(&lacking, has);
    if !elsewhere.is_empty() {
        // Without targets, a global some shipped servers lack; with targets, one a target
        // lacks: either way, which servers have it says how to use it.
        let advice = if cx.exact {
            "; drop the targets that lack it from `[package.metadata.evalsha] servers` in \
             Cargo.toml"
        } else {
            "; to use it, name target servers that all have it in Cargo.toml: \
             `[package.metadata.evalsha] servers = [..]`"
        };
        return format!(
            "the global {} does not exist on {}, where reading it fails with \"Script \
             attempted to access nonexistent global variable\"{elsewhere}{advice}",
            code(name),
            cx.names(&lacking),
        );
    }
    let hint = if cx.facts.locals.contains(name) {
        format!(
            "; a local {} is declared in another block or further down, and is not in scope here",
            code(name)
        )
    } else {
        let common = cx
            .servers
            .first()
            .into_iter()
            .flat_map(|s| s.globals.iter().copied())
            .filter(|g| cx.is_global(g) && !g.starts_with("__"));
        let locals = cx.facts.locals.iter().map(String::as_str);
        env::closest(name, common.chain(locals))
            .map(|g| format!("; did you mean {}?", code(g)))
            .unwrap_or_else(|| format!("; if it is a variable, declare it `local {name}`"))
    };
    format!(
        "{} is neither a local nor a global of Redis's Lua: reading it fails with \"Script \
         attempted to access nonexistent global variable\"{hint}",
        code(name)
    )
}

#[cfg(test)]
mod tests {
    use crate::check::testing::problems;

    #[test]
    fn missing_and_misspelt_globals() {
        let p = problems("print('x')\nlocal n = tonumbr(ARGV[1])\nreturn table.unpack(KEYS)");
        assert_eq!(p.len(), 3, "{p:#?}");
        assert!(
            p[0].starts_with(
                "1:1: the global `print` does not exist on Redis 7.0, Redis 8.0, Valkey 8.1, \
                 Valkey 9.1, where"
            ),
            "{}",
            p[0]
        );
        assert!(
            p[0].contains("\"; Redis 6.2 has it; to use it, name target servers"),
            "{}",
            p[0]
        );
        assert!(p[1].contains("did you mean `tonumber`?"), "{}", p[1]);
        assert!(p[2].starts_with("3:14: `table.unpack` is nil"), "{}", p[2]);
        assert!(
            p[2].contains("did you mean the global `unpack`?"),
            "{}",
            p[2]
        );
    }

    #[test]
    fn a_field_the_script_defines_is_reported_once_by_global_write() {
        let p = problems("function table.extend(t) return t end\nreturn table.extend({})");
        assert_eq!(p.len(), 1, "{p:#?}");
        assert!(p[0].ends_with("[global-write]"), "{}", p[0]);
    }

    #[test]
    fn misspelt_and_out_of_scope_locals() {
        let p = problems("local counter = 1\nreturn countr");
        assert!(p[0].contains("did you mean `counter`?"), "{}", p[0]);
        let p = problems("if KEYS[1] then local found = 1 end\nreturn found");
        assert!(
            p[0].contains("a local `found` is declared in another block"),
            "{}",
            p[0]
        );
    }

    #[test]
    fn real_globals_fields_and_guards_pass() {
        let code = "local v = cjson.encode({bit.band(1, 3), struct.pack('>I', 1), cmsgpack.pack(1)})\n\
                    if redis.REDIS_VERSION then redis.log(redis.LOG_NOTICE, v) end\n\
                    local u = (table.unpack or unpack)(KEYS)\n\
                    return string.format('%s', math.floor(tonumber(ARGV[1])))";
        assert_eq!(problems(code), Vec::<String>::new());
    }

    #[test]
    fn os_and_server_are_globals_of_the_targets_that_have_them() {
        use crate::check::Mode::Script;
        use crate::check::testing::targeted;
        let code = "local t = os.clock()\nreturn server.call('GET', KEYS[1])";
        let p = problems(code);
        assert_eq!(p.len(), 2, "{p:#?}");
        assert!(
            p[0].starts_with("1:11: the global `os` does not exist on Redis 6.2, Redis 7.0, where"),
            "{}",
            p[0]
        );
        assert!(
            p[0].contains("; Redis 8.0, Valkey 8.1, Valkey 9.1 have it; to use it"),
            "{}",
            p[0]
        );
        assert!(
            p[1].contains("`server` does not exist on Redis 6.2, Redis 7.0, Redis 8.0, where"),
            "{}",
            p[1]
        );
        assert!(targeted(code, Script, &["valkey-8.1", "valkey-9.1"]).is_empty());
        assert!(targeted("return os.clock()", Script, &["redis-8.0", "valkey-9.1"]).is_empty());
        let p = targeted(code, Script, &["redis-8.0", "valkey-9.1"]);
        assert_eq!(p.len(), 1, "{p:#?}");
        assert!(
            p[0].starts_with(
                "2:8: the global `server` does not exist on Redis 8.0 (targeted in Cargo.toml), \
                 where"
            ),
            "{}",
            p[0]
        );
        assert!(p[0].contains("; Valkey 8.1, Valkey 9.1 have it; drop the targets"));
        // A field some target lacks, read unguarded: `os.time` exists nowhere, and
        // `redis.REDIS_VERSION` not on Redis 6.2.
        let p = targeted(
            "return {os.time(), redis.REDIS_VERSION}",
            Script,
            &["redis-6.2", "redis-8.0"],
        );
        assert_eq!(p.len(), 2, "{p:#?}");
        assert!(
            p[0].contains("the global `os` does not exist on Redis 6.2 (targeted"),
            "{}",
            p[0]
        );
        assert!(
            p[1].starts_with(
                "1:26: `redis.REDIS_VERSION` is nil on Redis 6.2 (targeted in Cargo.toml), \
                 where calling it fails"
            ),
            "{}",
            p[1]
        );
        let p = targeted("return os.time()", Script, &["redis-8.0"]);
        assert!(
            p[0].starts_with("1:11: `os.time` is nil on every target (Redis 8.0): the Lua"),
            "{}",
            p[0]
        );
    }
}
