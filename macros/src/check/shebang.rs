//! `shebang`: a `#!lua` line `SCRIPT LOAD` refuses: an engine other than `lua`, a flag
//! no server knows (with targets: a flag some target lacks; the flags each server accepts
//! are probed by the environment generator), `name=` (a function library's option, not a
//! script's), any other option, a `#!lua` line at all on a target without them (Redis
//! 6.2), or a `#!` line that is not the very first thing in the file. In a function library the
//! line takes `name=` only (`FUNCTION LOAD` refuses `flags=` there).

use super::{Context, Finding, Mode, code};
use crate::env;
use crate::shebang::Shebang;

pub(crate) fn check(cx: &Context, out: &mut Vec<Finding>) {
    let Some(line) = Shebang::read(cx.text) else {
        return;
    };
    if !line.is_lua() {
        out.push(Finding {
            line: 1,
            col: 3,
            message: format!(
                "{}: the engine must be `lua` (`#!lua`), the server refuses any other",
                code(line.engine)
            ),
        });
        return;
    }
    // A target without `#!lua` lines (Redis 6.2, whose Lua reads `#` as a syntax error).
    let lacking = cx.lacking(|s| s.shebang);
    if cx.exact && !lacking.is_empty() {
        let what = match cx.mode {
            Mode::Script => "takes no `#!lua` line: its Lua reads `#` as a syntax error",
            Mode::Library => "has no function libraries (`FUNCTION LOAD`)",
        };
        out.push(Finding {
            line: 1,
            col: 1,
            message: format!("{} {what}", cx.names(&lacking)),
        });
        return;
    }
    for &(part, at) in &line.options {
        if cx.mode == Mode::Library && !part.starts_with("name=") {
            // `FUNCTION LOAD` answers "Invalid metadata value given" to anything else.
            out.push(Finding {
                line: 1,
                col: at,
                message: format!(
                    "{}: a library's `#!lua` line takes only `name=`, `FUNCTION LOAD` refuses \
                     anything else; a function's flags go in `redis.register_function{{..., \
                     flags = {{'no-writes'}}}}`",
                    code(part)
                ),
            });
        } else if let Some(flags) = part.strip_prefix("flags=") {
            let mut flag_col = at + "flags=".len();
            for flag in flags.split(',') {
                if !flag.is_empty() && !cx.accepts(|s| s.flags.contains(flag)) {
                    let known = cx
                        .servers
                        .iter()
                        .flat_map(|s| s.flags.iter().copied())
                        .collect::<std::collections::BTreeSet<_>>();
                    let hint = env::closest(flag, known.iter().copied())
                        .map(|f| format!("; did you mean {}?", code(f)))
                        .unwrap_or_else(|| {
                            format!(
                                "; the flags are {}",
                                known.iter().map(|f| code(f)).collect::<Vec<_>>().join(", ")
                            )
                        });
                    out.push(Finding {
                        line: 1,
                        col: flag_col,
                        message: format!(
                            "unknown script flag {}: `SCRIPT LOAD` refuses the script{hint}",
                            code(flag)
                        ),
                    });
                }
                flag_col += flag.chars().count() + 1;
            }
        } else if part.starts_with("name=") && cx.mode == Mode::Script {
            out.push(Finding {
                line: 1,
                col: at,
                message: "`name=` names a function library (`FUNCTION LOAD`); in a script \
                          `SCRIPT LOAD` refuses it; use `include_library!` for a library"
                    .to_owned(),
            });
        } else if !part.starts_with("name=") {
            out.push(Finding {
                line: 1,
                col: at,
                message: format!(
                    "unknown `#!lua` option {}: `SCRIPT LOAD` refuses the script; the option \
                     is `flags=`",
                    code(part)
                ),
            });
        }
    }
}

/// A `#!` line that is not the very first thing in the file (after a BOM, blank space or
/// other lines), which Lua then reads as a syntax error.
pub(crate) fn misplaced(text: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start_matches(['\u{feff}', ' ', '\t']);
        if !trimmed.starts_with("#!") || (index == 0 && trimmed.len() == line.len()) {
            continue;
        }
        out.push(Finding {
            line: index + 1,
            col: line.chars().count() - trimmed.chars().count() + 1,
            message: "a `#!lua` line must be the very first bytes of the script, with nothing \
                      before it (no line, space or byte-order mark)"
                .to_owned(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::check::testing::problems;

    #[test]
    fn unknown_flags_options_and_engines() {
        let p = problems("#!lua flags=no-writes,no-write name=x foo=1\nreturn 1");
        assert_eq!(p.len(), 3, "{p:#?}");
        assert!(
            p[0].starts_with("1:23: unknown script flag `no-write`"),
            "{}",
            p[0]
        );
        assert!(p[0].contains("did you mean `no-writes`?"), "{}", p[0]);
        assert!(p[1].starts_with("1:32: `name=`"), "{}", p[1]);
        assert!(
            p[2].starts_with("1:39: unknown `#!lua` option `foo=1`"),
            "{}",
            p[2]
        );
        assert!(problems("#!python\nreturn 1")[0].contains("the engine must be `lua`"));
    }

    #[test]
    fn a_library_line_takes_only_a_name() {
        use crate::check::testing::library_problems;
        assert!(library_problems("#!lua name=queue\nreturn 1").is_empty());
        let p = library_problems("#!lua name=queue flags=no-writes\nreturn 1");
        assert_eq!(p.len(), 1, "{p:#?}");
        assert!(
            p[0].starts_with("1:18: `flags=no-writes`: a library's"),
            "{}",
            p[0]
        );
    }

    #[test]
    fn known_flags_pass_and_misplaced_lines_are_found() {
        assert!(problems("#!lua flags=no-writes,allow-stale\nreturn 1").is_empty());
        assert!(problems("#!lua\nreturn 1").is_empty());
        let found = super::misplaced("-- hi\n#!lua flags=no-writes\nreturn 1");
        assert_eq!((found[0].line, found[0].col), (2, 1));
        assert_eq!(super::misplaced("\u{feff}#!lua\nreturn 1").len(), 1);
        assert!(super::misplaced("#!lua\nreturn 1").is_empty());
    }

    #[test]
    fn a_target_without_shebang_lines_refuses_them() {
        use crate::check::Mode::{Library, Script};
        use crate::check::testing::targeted;
        let code = "#!lua flags=no-writes\nreturn 1";
        assert!(targeted(code, Script, &["redis-7.0", "valkey-9.1"]).is_empty());
        assert_eq!(
            targeted(code, Script, &["redis-6.2", "redis-7.0"]),
            [
                "1:1: Redis 6.2 (targeted in Cargo.toml) takes no `#!lua` line: its Lua reads `#` \
              as a syntax error [shebang]"
            ]
        );
        let p = targeted(
            "#!lua name=x\nredis.register_function('f', function() return 1 end)",
            Library,
            &["redis-6.2"],
        );
        assert_eq!(
            p,
            [
                "1:1: Redis 6.2 (targeted in Cargo.toml) has no function libraries (`FUNCTION \
              LOAD`) [shebang]"
            ]
        );
        // Without targets a script with the line is fine: other servers take it.
        assert!(problems(code).is_empty());
    }
}
