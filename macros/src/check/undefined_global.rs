//! `undefined-global`: reading a global the server's Lua does not have (`print` on Redis
//! 7, `os`, `bit32`, `utf8`, `setfenv`, a misspelt local), or a field no server's library
//! table has (`table.unpack`, `string.gfind`). Redis raises "Script attempted to access
//! nonexistent global variable" for the first, and calling the second calls `nil`.
//!
//! Globals are those every server has; a field counts when any server has it (reading a
//! missing field is `nil`, not an error, so `if redis.REDIS_VERSION then` is legitimate).

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
                    .unwrap_or_default()
            };
            out.push(Finding {
                line: pos.line,
                col: pos.col,
                message: format!(
                    "{} is nil on every server ({}): the Lua of Redis is 5.1{hint}",
                    code(&format!("{table}.{field}")),
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
    let having: Vec<_> = cx
        .servers
        .iter()
        .filter(|s| s.globals.contains(name))
        .collect();
    let lacking: Vec<_> = cx
        .servers
        .iter()
        .filter(|s| !s.globals.contains(name))
        .collect();
    if !having.is_empty() {
        return format!(
            "the global {} does not exist on {}, where reading it fails with \"Script \
             attempted to access nonexistent global variable\" (only {} has it)",
            code(name),
            env::names(lacking),
            env::names(having)
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
            p[0].starts_with("1:1: the global `print` does not exist on Redis 7.0, Valkey 8.1"),
            "{}",
            p[0]
        );
        assert!(p[0].ends_with("(only Redis 6.2 has it) [undefined-global]"));
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
}
