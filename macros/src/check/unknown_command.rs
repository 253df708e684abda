//! `unknown-command`: `redis.call`/`redis.pcall` with a literal command name that the
//! servers do not know: without targets, no server of the matrix (the union of their
//! `COMMAND` tables), with the closest known name; with targets, some target (naming the
//! targets that lack it and the servers that have it).

use super::{Context, Finding, code, commands};
use crate::env::{self, Server};

pub(crate) fn check(cx: &Context, out: &mut Vec<Finding>) {
    for call in &cx.facts.calls {
        let (Some(name), Some((written, pos))) = (commands::name(call), &call.command) else {
            continue;
        };
        let has = |s: &Server| s.commands.contains_key(name.as_str());
        if cx.accepts(has) {
            continue;
        }
        let lacking = cx.lacking(has);
        let elsewhere = cx.elsewhere(&lacking, has);
        let message = if !elsewhere.is_empty() {
            // A command of some servers that a target lacks.
            format!(
                "{} is not a command on {}, where the call fails{elsewhere}",
                code(written),
                cx.names(&lacking)
            )
        } else {
            format!(
                "{} is not a command on any of {}{}",
                code(written),
                env::names(cx.servers),
                suggestion(cx, &name)
            )
        };
        out.push(Finding {
            line: pos.line,
            // Inside the quotes.
            col: pos.col + 1,
            message,
        });
    }
}

/// `; did you mean `INCR`?`: the closest command of the servers the checks answer for,
/// with the servers that lack it.
fn suggestion(cx: &Context, name: &str) -> String {
    let known = cx
        .servers
        .iter()
        .flat_map(|s| s.commands.keys().copied())
        .filter(|c| !c.contains('|'));
    let Some(close) = env::closest(name, known) else {
        return String::new();
    };
    let lacking = cx.lacking(|s| s.commands.contains_key(close));
    let caveat = if lacking.is_empty() {
        String::new()
    } else {
        format!(" (not on {})", env::names(&lacking))
    };
    format!("; did you mean {}{caveat}?", code(&close.to_uppercase()))
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

    #[test]
    fn commands_of_some_servers_need_every_target_to_have_them() {
        use crate::check::Mode::Script;
        use crate::check::testing::targeted;
        let code = "return redis.call('HGETEX', KEYS[1], 'FIELDS', 1, 'f')";
        assert!(problems(code).is_empty());
        assert!(targeted(code, Script, &["redis-8.0", "valkey-9.1"]).is_empty());
        let p = targeted(code, Script, &["redis-7.0", "redis-8.0"]);
        assert_eq!(
            p,
            [
                "1:20: `HGETEX` is not a command on Redis 7.0 (targeted in Cargo.toml), where the \
              call fails; Redis 8.0, Valkey 9.1 have it [unknown-command]"
            ]
        );
        let p = targeted(
            "return redis.call('INCRR', KEYS[1])",
            Script,
            &["redis-7.0"],
        );
        assert_eq!(
            p,
            [
                "1:20: `INCRR` is not a command on any of Redis 7.0; did you mean `INCR`? \
              [unknown-command]"
            ]
        );
    }
}
