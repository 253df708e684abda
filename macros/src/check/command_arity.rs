//! `command-arity`: a literal command called with a number of arguments its arity (from
//! `COMMAND`, the subcommand's own where the server lists one) forbids: without targets, on
//! every server that knows it; with targets, on any target that knows it (naming those).
//! A last argument that can expand (`unpack(t)`, `f()`, `...`) only makes a call too long,
//! never too short.

use super::scope::RedisCall;
use super::{Context, Finding, code, commands};
use crate::env::{Command, Server};

pub(crate) fn check(cx: &Context, out: &mut Vec<Finding>) {
    for call in &cx.facts.calls {
        let Some((written, pos)) = &call.command else {
            continue;
        };
        let entries: Vec<(&Server, &Command)> = cx
            .servers
            .iter()
            .filter_map(|s| Some((*s, commands::entry(s, call)?)))
            .collect();
        let refusing: Vec<&Server> = entries
            .iter()
            .filter(|(_, c)| !fits(c, call))
            .map(|(s, _)| *s)
            .collect();
        // Those that know the command: some must take the call, all with targets.
        let taken = if cx.exact {
            refusing.is_empty()
        } else {
            refusing.len() < entries.len()
        };
        if entries.is_empty() || taken {
            continue;
        }
        let Some(arity) = entries
            .iter()
            .find(|(s, _)| s.id == refusing[0].id)
            .map(|(_, c)| c.arity)
        else {
            continue;
        };
        // With targets, which of them refuse it (the others take it).
        let on = if cx.exact && refusing.len() < cx.servers.len() {
            format!(" on {}", cx.names(&refusing))
        } else {
            String::new()
        };
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
                "{}{subcommand} takes {wanted} argument{}{on}, this call passes {given}",
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

    #[test]
    fn with_targets_every_target_must_take_the_call() {
        use crate::check::Mode::Script;
        use crate::check::testing::targeted;
        // `ZRANK .. WITHSCORE` (Redis 7.2+): 3 arguments, where Redis 7.0 takes exactly 2.
        let code = "return redis.call('ZRANK', KEYS[1], 'm', 'WITHSCORE')";
        assert!(problems(code).is_empty());
        assert!(targeted(code, Script, &["redis-8.0", "valkey-8.1"]).is_empty());
        assert_eq!(
            targeted(code, Script, &["redis-7.0", "redis-8.0"]),
            [
                "1:20: `ZRANK` takes exactly 2 arguments on Redis 7.0 (targeted in Cargo.toml), \
              this call passes 3 [command-arity]"
            ]
        );
        assert_eq!(
            targeted(code, Script, &["redis-6.2"]),
            ["1:20: `ZRANK` takes exactly 2 arguments, this call passes 3 [command-arity]"]
        );
    }
}
