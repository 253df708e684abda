//! `bool-arg`: an `@arg NAME bool` (sent as `1`/`0`, as `redis` encodes `bool`) tested for
//! truth (`if ARGV[n] then`: every string is true in Lua) or compared with `"true"`,
//! `"false"`, `true` or `false` (never equal). Compare with `"1"`.

use super::scope::ArgTest;
use super::{Context, Finding, Mode};
use crate::header::Param;

pub(crate) fn check(cx: &Context, out: &mut Vec<Finding>) {
    if cx.mode != Mode::Script {
        return;
    }
    let args = &cx.header.args;
    for usage in &cx.facts.arg_uses {
        let Some(param) = param_at(args, usage.index) else {
            continue;
        };
        if !is_bool(param) {
            continue;
        }
        let what = format!("`ARGV[{}]` (`@arg {} bool`)", usage.index, param.name);
        let message = match &usage.test {
            ArgTest::Truth => format!(
                "{what} is tested for truth, but evalsha sends a bool as \"1\" or \"0\" and \
                 every string is true in Lua; compare it: `{} == \"1\"`",
                format_args!("ARGV[{}]", usage.index)
            ),
            ArgTest::Compared(literal)
                if matches!(
                    literal.as_str(),
                    "\"true\"" | "\"false\"" | "true" | "false"
                ) =>
            {
                format!(
                    "{what} is compared with {literal}, but evalsha sends a bool as \"1\" or \
                     \"0\", so this is never equal; compare with \"1\" (true) or \"0\" (false)"
                )
            }
            ArgTest::Compared(_) | ArgTest::Defaulted => continue,
        };
        out.push(Finding {
            line: usage.pos.line,
            col: usage.pos.col,
            message,
        });
    }
}

/// The parameter `ARGV[index]` carries (a variadic last one covers every later index).
fn param_at(args: &[Param], index: usize) -> Option<&Param> {
    match args.get(index.checked_sub(1)?) {
        Some(param) => Some(param),
        None => args.last().filter(|p| p.variadic),
    }
}

/// `bool` or `Option<bool>`.
fn is_bool(param: &Param) -> bool {
    let Some(ty) = &param.ty else { return false };
    let text = quote::ToTokens::to_token_stream(&ty.ty)
        .to_string()
        .replace(' ', "");
    matches!(text.as_str(), "bool" | "Option<bool>")
}

#[cfg(test)]
mod tests {
    use crate::check::testing::problems;

    const HEADER: &str = "--- Sets a flag.\n---@key k\n---@arg force bool\n---@arg name string\n";

    #[test]
    fn truth_tests_and_string_comparisons_of_bool_args() {
        let code = format!(
            "{HEADER}if ARGV[1] then end\nlocal force = ARGV[1]\nif force == 'true' then end\nreturn 1"
        );
        let p = problems(&code);
        assert_eq!(p.len(), 2, "{p:#?}");
        assert!(
            p[0].starts_with("5:4: `ARGV[1]` (`@arg force bool`) is tested for truth"),
            "{}",
            p[0]
        );
        assert!(
            p[1].starts_with("7:4: `ARGV[1]` (`@arg force bool`) is compared with \"true\""),
            "{}",
            p[1]
        );
    }

    #[test]
    fn comparisons_with_1_and_other_args_pass() {
        let code = format!(
            "{HEADER}if ARGV[1] == '1' then end\nif ARGV[2] then end\nreturn ARGV[2] == 'true'"
        );
        assert_eq!(problems(&code), Vec::<String>::new());
    }
}
