//! `dropped-return`: `return a, b` at the top of a script. Redis converts only the first
//! value of what a script returns; the rest is silently lost.

use super::{Context, Finding, Mode};

pub(crate) fn check(cx: &Context, out: &mut Vec<Finding>) {
    if cx.mode != Mode::Script {
        return;
    }
    for ret in &cx.facts.returns {
        out.push(Finding {
            line: ret.second.line,
            col: ret.second.col,
            message: format!(
                "the script returns {} values but Redis replies with the first only; return \
                 a table (`return {{a, b}}`) to get them all",
                ret.values
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::problems;

    #[test]
    fn several_values_from_the_chunk_only() {
        let p = problems("local a, b = 1, 2\nif a then return a, b end\nreturn {a, b}");
        assert_eq!(p.len(), 1, "{p:#?}");
        assert!(
            p[0].starts_with("2:21: the script returns 2 values"),
            "{}",
            p[0]
        );
        assert!(problems("local function f() return 1, 2 end\nreturn {f()}").is_empty());
    }
}
