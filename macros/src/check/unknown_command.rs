//! `unknown-command`: `redis.call`/`redis.pcall` with a literal command name that no server
//! of the matrix knows (the union of their `COMMAND` tables), with the closest known name.

use super::{Context, Finding, code, commands};
use crate::env;

pub(crate) fn check(cx: &Context, out: &mut Vec<Finding>) {
    for call in &cx.facts.calls {
        let (Some(name), Some((written, pos))) = (commands::name(call), &call.command) else {
            continue;
        };
        if cx
            .servers
            .iter()
            .any(|s| s.commands.contains_key(name.as_str()))
        {
            continue;
        }
        let known = cx
            .servers
            .iter()
            .flat_map(|s| s.commands.keys().copied())
            .filter(|c| !c.contains('|'));
        let hint = match env::closest(&name, known) {
            Some(close) => {
                let lacking: Vec<_> = cx
                    .servers
                    .iter()
                    .filter(|s| !s.commands.contains_key(close))
                    .collect();
                let caveat = if lacking.is_empty() {
                    String::new()
                } else {
                    format!(" (not on {})", env::names(lacking))
                };
                format!("; did you mean {}{caveat}?", code(&close.to_uppercase()))
            }
            None => String::new(),
        };
        out.push(Finding {
            line: pos.line,
            // Inside the quotes.
            col: pos.col + 1,
            message: format!(
                "{} is not a command on any of {}{hint}",
                code(written),
                env::names(cx.servers)
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::problems;

    #[test]
    fn misspelt_commands_with_suggestions_also_through_aliases() {
        let p = problems(
            "local rcall = redis.call\nrcall('INCRR', KEYS[1])\nreturn redis.pcall('lmpopp', 1, KEYS[1], 'LEFT')",
        );
        assert_eq!(p.len(), 2, "{p:#?}");
        assert!(
            p[0].starts_with("2:8: `INCRR` is not a command"),
            "{}",
            p[0]
        );
        assert!(p[0].contains("did you mean `INCR`?"), "{}", p[0]);
        assert!(
            p[1].contains("did you mean `LMPOP` (not on Redis 6.2)?"),
            "{}",
            p[1]
        );
    }

    #[test]
    fn known_commands_in_any_case_and_computed_names_pass() {
        let code = "redis.call('get', KEYS[1])\nredis.call('LMPOP', 1, KEYS[1], 'LEFT')\n\
                    local cmd = ARGV[1]\nreturn redis.call(cmd, KEYS[1])";
        assert_eq!(problems(code), Vec::<String>::new());
    }
}
