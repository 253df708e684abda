//! `command-arity`: a literal command called with a number of arguments its arity (from
//! `COMMAND`, the subcommand's own where the server lists one) forbids on every server that
//! knows it. A last argument that can expand (`unpack(t)`, `f()`, `...`) only makes a call
//! too long, never too short.

use super::scope::RedisCall;
use super::{Context, Finding, code, commands};
use crate::env::Command;

pub(crate) fn check(cx: &Context, out: &mut Vec<Finding>) {
    for call in &cx.facts.calls {
        let Some((written, pos)) = &call.command else {
            continue;
        };
        let entries: Vec<&Command> = cx
            .servers
            .iter()
            .filter_map(|s| commands::entry(s, call))
            .collect();
        if entries.is_empty() || entries.iter().any(|c| fits(c, call)) {
            continue;
        }
        let arity = entries[0].arity;
        let wanted = if arity >= 0 {
            format!("exactly {}", arity - 1)
        } else {
            format!("at least {}", -arity - 1)
        };
        let given = call.words - 1;
        let given = if call.open {
            format!("{given} or more")
        } else {
            given.to_string()
        };
        let subcommand = if cx.servers.iter().any(|s| {
            commands::name(call)
                .is_some_and(|n| s.commands.keys().any(|k| k.starts_with(&format!("{n}|"))))
        }) {
            call.second
                .as_deref()
                .map(|s| format!(" {}", s.to_uppercase()))
                .unwrap_or_default()
        } else {
            String::new()
        };
        out.push(Finding {
            line: pos.line,
            col: pos.col + 1,
            message: format!(
                "{}{subcommand} takes {wanted} argument{}, this call passes {given}",
                code(written),
                if wanted.ends_with(" 1") { "" } else { "s" }
            ),
        });
    }
}

fn fits(command: &Command, call: &RedisCall) -> bool {
    if call.open {
        // Any number of further words may follow: only a fixed arity can be exceeded.
        command.arity < 0 || call.words <= command.arity as usize
    } else {
        command.accepts(call.words)
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::problems;

    #[test]
    fn wrong_counts_of_fixed_and_minimum_arity() {
        let p = problems(
            "redis.call('GET', KEYS[1], 'x')\nredis.call('SET', KEYS[1])\nreturn redis.call('INCR')",
        );
        assert_eq!(p.len(), 3, "{p:#?}");
        assert!(
            p[0].starts_with("1:13: `GET` takes exactly 1 argument, this call passes 2"),
            "{}",
            p[0]
        );
        assert!(
            p[1].contains("`SET` takes at least 2 arguments, this call passes 1"),
            "{}",
            p[1]
        );
    }

    #[test]
    fn expanding_arguments_and_subcommands() {
        let code = "redis.call('DEL', unpack(KEYS))\nredis.call('MSET', unpack(ARGV))\n\
                    redis.call('CONFIG', 'GET', 'maxmemory')\nreturn redis.call('GET', unpack(KEYS))";
        assert_eq!(problems(code), Vec::<String>::new());
        let p = problems("return redis.call('GET', KEYS[1], 'x', unpack(ARGV))");
        assert_eq!(p.len(), 1, "{p:#?}");
        assert!(p[0].contains("passes 2 or more"), "{}", p[0]);
    }
}
