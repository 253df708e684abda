//! `option-arg`: an `@arg NAME Option<T>` (which evalsha sends as `""` for `None`, so the
//! arguments after it keep their places) tested for presence: `if ARGV[n] then`,
//! `not ARGV[n]`, `ARGV[n] or x`, `ARGV[n] == nil`. An empty string is true in Lua and
//! never `nil`, so the script takes the "given" branch for `None`. Declare it
//! `@arg NAME? T` (trailing arguments: `None` sends nothing, the script sees `nil`), or
//! test `ARGV[n] ~= ""`.

use super::scope::ArgTest;
use super::{Context, Finding, Mode};

pub(crate) fn check(cx: &Context, out: &mut Vec<Finding>) {
    if cx.mode != Mode::Script {
        return;
    }
    let args = &cx.header.args;
    for usage in &cx.facts.arg_uses {
        let Some(param) = usage.index.checked_sub(1).and_then(|i| args.get(i)) else {
            continue;
        };
        let Some(ty) = &param.ty else { continue };
        if !ty.optional || param.optional || param.variadic {
            continue;
        }
        let how = match &usage.test {
            ArgTest::Truth => "tested for truth",
            ArgTest::Defaulted => "given a default with `or`",
            ArgTest::Compared(literal) if literal == "nil" => "compared with nil",
            ArgTest::Compared(_) => continue,
        };
        let written = quote::ToTokens::to_token_stream(&ty.ty)
            .to_string()
            .replace(' ', "");
        let inner = written
            .strip_prefix("Option<")
            .and_then(|t| t.strip_suffix('>'))
            .unwrap_or("T");
        let trailing = args[usage.index..].iter().all(|p| p.optional);
        let fix = if trailing {
            format!(
                "declare it `---@arg {}? {inner}` (`None` sends nothing, so the script sees \
                 nil), or compare it with \"\"",
                param.name
            )
        } else {
            format!(
                "compare it with \"\" (`ARGV[{}] ~= \"\"`): only trailing arguments can be \
                 left out",
                usage.index
            )
        };
        out.push(Finding {
            line: usage.pos.line,
            col: usage.pos.col,
            message: format!(
                "`ARGV[{}]` (`@arg {} {written}`) is {how}, but evalsha sends `None` as \"\" \
                 (so later arguments keep their places), and an empty string is true in \
                 Lua and never nil; {fix}",
                usage.index, param.name
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::problems;

    #[test]
    fn presence_tests_of_options_sent_as_empty_strings() {
        let code = "--- x\n---@key k\n---@arg limit Option<u64>\n\
                    if ARGV[1] then end\nlocal l = ARGV[1] or 10\nif ARGV[1] == nil then end\n\
                    if ARGV[1] == '' then end\nreturn 1";
        let p = problems(code);
        assert_eq!(p.len(), 3, "{p:#?}");
        assert!(
            p[0].starts_with(
                "4:4: `ARGV[1]` (`@arg limit Option<u64>`) is tested for truth, but evalsha \
                 sends `None` as \"\""
            ),
            "{}",
            p[0]
        );
        assert!(p[0].contains("declare it `---@arg limit? u64`"), "{}", p[0]);
        assert!(p[0].ends_with("[option-arg]"), "{}", p[0]);
        assert!(p[1].contains("given a default with `or`"), "{}", p[1]);
        assert!(p[2].contains("compared with nil"), "{}", p[2]);
    }

    #[test]
    fn optional_trailing_arguments_and_later_required_ones() {
        // `limit?`: None sends nothing, testing it is right.
        let code = "--- x\n---@arg limit? u64\nif ARGV[1] then end\nreturn 1";
        assert_eq!(problems(code), Vec::<String>::new());
        let code =
            "--- x\n---@arg a Option<u64>\n---@arg b string\nif ARGV[1] then end\nreturn ARGV[2]";
        let p = problems(code);
        assert_eq!(p.len(), 1, "{p:#?}");
        assert!(
            p[0].contains("compare it with \"\" (`ARGV[1] ~= \"\"`)"),
            "{}",
            p[0]
        );
    }
}
