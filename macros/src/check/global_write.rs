//! `global-write`: assigning a global or defining `function name()`, and writing into a
//! library table (`function string.trim()`, `redis.x = 1`, `_G.x = 1`): every server of
//! the matrix (Redis 6.2 too) fails the script with "Attempt to modify a readonly table"
//! when the line runs. Writing into `KEYS`/`ARGV` works and is left alone.

use super::scope::UseKind;
use super::{Context, Finding, code};

pub(crate) fn check(cx: &Context, out: &mut Vec<Finding>) {
    for global in &cx.facts.globals {
        let message = match global.kind {
            UseKind::Write | UseKind::Define => format!(
                "{} the global `{name}`: scripts may not create or change globals, the server \
                 fails the script with \"Attempt to modify a readonly table\"; make it `local \
                 {}{name}`",
                if global.kind == UseKind::Define {
                    "defines"
                } else {
                    "assigns"
                },
                if global.kind == UseKind::Define {
                    "function "
                } else {
                    ""
                },
                name = global.name
            ),
            UseKind::FieldWrite
                if cx.is_global(&global.name)
                    && (cx.is_library(&global.name) || global.name == "_G") =>
            {
                let target = match &global.field {
                    Some((field, _)) => code(&format!("{}.{field}", global.name)),
                    None => format!("a field of {}", code(&global.name)),
                };
                format!(
                    "assigns {target}: {} is a library table and read-only, the server \
                     fails the script with \"Attempt to modify a readonly table\"; keep your \
                     own functions in a local table",
                    code(&global.name)
                )
            }
            _ => continue,
        };
        out.push(Finding {
            line: global.pos.line,
            col: global.pos.col,
            message,
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::problems;

    #[test]
    fn global_assignments_and_library_writes() {
        let p = problems(
            "count = 1\nfunction helper() end\nfunction string.trim(s) return s end\nreturn 1",
        );
        assert_eq!(p.len(), 3, "{p:#?}");
        assert!(
            p[0].starts_with("1:1: assigns the global `count`"),
            "{}",
            p[0]
        );
        assert!(
            p[1].starts_with("2:10: defines the global `helper`"),
            "{}",
            p[1]
        );
        assert!(p[2].starts_with("3:10: assigns `string.trim`"), "{}", p[2]);
    }

    #[test]
    fn one_mistake_one_error_reading_the_global_it_wrote_is_not_another() {
        let p = problems("count = 1\nfunction helper() end\nhelper()\nreturn count");
        assert_eq!(p.len(), 2, "{p:#?}");
    }

    #[test]
    fn locals_and_local_tables_pass() {
        let code = "local count = 1\ncount = 2\nlocal function helper() end\nlocal M = {}\n\
                    function M.f() end\nM.x = 1\nfunction M:g() return self end\nreturn count";
        assert_eq!(problems(code), Vec::<String>::new());
    }
}
