//! `write-in-read-only`: a command flagged `write` in `COMMAND` called from a script
//! flagged `#!lua flags=no-writes`, which the server refuses when the call runs.

use super::{Context, Finding, code, commands};

pub(crate) fn check(cx: &Context, out: &mut Vec<Finding>) {
    if !cx.header.read_only() {
        return;
    }
    for call in &cx.facts.calls {
        let Some((written, pos)) = &call.command else {
            continue;
        };
        let writers: Vec<_> = cx
            .servers
            .iter()
            .filter(|s| commands::entry(s, call).is_some_and(|c| c.write))
            .collect();
        if writers.is_empty() {
            continue;
        }
        out.push(Finding {
            line: pos.line,
            col: pos.col + 1,
            message: format!(
                "{} writes, but the script is flagged `no-writes` (`#!lua flags=no-writes`): \
                 the server refuses the call; drop the flag or the write",
                code(written)
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::problems;

    #[test]
    fn writes_in_a_no_writes_script() {
        let p = problems(
            "#!lua flags=no-writes\nlocal v = redis.call('GET', KEYS[1])\nredis.call('SET', KEYS[1], v)\nreturn v",
        );
        assert_eq!(p.len(), 1, "{p:#?}");
        assert!(p[0].starts_with("3:13: `SET` writes"), "{}", p[0]);
        // The same write without the flag is fine.
        assert!(problems("redis.call('SET', KEYS[1], 'v')\nreturn 1").is_empty());
    }
}
