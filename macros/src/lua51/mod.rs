//! The servers' own Lua 5.1 front end, ported: what `SCRIPT LOAD` and `FUNCTION LOAD`
//! refuse, with their wording and the line they name. Every server of the matrix embeds
//! Lua 5.1.5 (Redis and Valkey vendor it under `deps/lua`, Valkey 9 as its Lua engine
//! module), built with `LUAI_MAXCCALLS` 200, `LUAI_MAXVARS` 200 and `LUAI_MAXUPVALUES` 60;
//! none refuses a nested `[[` in a long string, whatever `luaconf.h` says (measured). This module is the reference [`crate::lua::parse`] asks first: a
//! script it refuses never reaches `full_moon`, and one it accepts the server accepts.
//!
//! What it checks, in `llex.c`/`lparser.c` order, each refusal as the server words it:
//! syntax levels ("chunk has too many syntax levels", 200 nested `chunk`s and
//! `subexpr`s), active locals per function ("main function has more than 200 local
//! variables", "function at line N has more than 200 local variables"), upvalues per
//! function (60), targets of one assignment ("... more than N variables in assignment",
//! N = 200 minus the levels open), local declarations per function (32767, "too many
//! local variables"), every syntax error of the grammar, and the lexer's ("malformed
//! number", "unfinished string", "escape sequence too large", ...), and the code
//! generator's registers (250 per function, "function or expression too complex"), from
//! `lcode.c`'s register accounting ported in `code`, and its constants (262143 per
//! function, "constant table overflow", which the servers report without a line). Not
//! checked: jumps over 131071 instructions ("control structure too long"), which needs
//! the instructions themselves, and more than 262143 functions nested directly in one
//! (`pushclosure`, also "constant table overflow").
//!
//! **No input crashes it.** The lexer is a loop; the parser recurses only through
//! `chunk`/`subexpr`, which count levels and refuse at 201 as Lua does, so its depth is
//! bounded whatever the input (see [`parse`]); it runs, with `full_moon` and the walks
//! over its tree, on the stack [`crate::lua::on_large_stack`] sizes. [`Shape`] tells the
//! caller how long the operator chains of an accepted script are: the one dimension the
//! servers leave unbounded, and the depth of the trees `full_moon` builds for them.

mod code;
mod lex;
mod number;
mod parse;

/// What the server answers to `SCRIPT LOAD` of a script it refuses: `user_script:LINE:
/// MESSAGE`; `col` is where the token it names starts (the server gives no column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) line: usize,
    pub(crate) col: usize,
    pub(crate) message: String,
}

/// How deep an accepted script nests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Shape {
    /// The most syntax levels open at once (at most 200).
    pub(crate) levels: usize,
    /// The most binary operators read by the `subexpr` loops open at once (`1 + 1 + 1`
    /// has 2): how deep the left-leaning trees a parser builds for them nest along one
    /// path.
    pub(crate) longest_chain: usize,
}

/// Whether the server compiles `code` (the text after a `#!lua` line, which the caller
/// blanks keeping the line count, as Redis 7+ does). Every server of the matrix compiles
/// a script as a chunk of its own (`luaL_loadbuffer(body)`, Redis 6.2.14's
/// `luaCreateFunction` included; Redis before 6.2 wrapped it in a function), and
/// `FUNCTION LOAD` a library likewise.
pub(crate) fn check(code: &str) -> Result<Shape, Refusal> {
    parse::Parser::chunk_of(code, parse::MAX_LEVELS, false)
}

/// [`check`] as Redis 6.2 compiles: the same, and a nested `[[` in a level-0 long string
/// or comment is refused ("nesting of [[...]] is deprecated", `LUA_COMPAT_LSTR` 1), which
/// Redis 7.0 and later, and Valkey, read as text.
pub(crate) fn check_redis62(code: &str) -> Result<Shape, Refusal> {
    parse::Parser::chunk_of(code, parse::MAX_LEVELS, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(code: &str) -> (usize, String) {
        let r = check(code).expect_err(code);
        (r.line, r.message)
    }

    #[test]
    fn accepts_ordinary_lua() {
        for code in [
            "return 1",
            "local a, b = 1, 2\nreturn a + b",
            "local t = {1, 2; x = 3, ['y'] = 4}\nreturn #t",
            "for i = 1, 10 do local x = i end\nfor k, v in pairs({}) do break end",
            "repeat local x = 1 until x == 1",
            "local function f(...) return ... end\nreturn f(1)",
            "local s = [==[ ]] ]=] ]==]\n--[[ comment ]]\nreturn s",
            "return 'a\\tb\\065\\\n'",
            "local o = {} function o:m() return self end return o:m()",
            "return ...",
            "a.b.c = 1; x, y = 1",
            "return 0x1F + 1e5 + .5 + 3.",
        ] {
            assert_eq!(check(code).err(), None, "{code}");
        }
    }

    #[test]
    fn refuses_as_the_server_words_it() {
        assert_eq!(
            refused("local x = 1\nif x then\n  return 1\n"),
            (
                4,
                "'end' expected (to close 'if' at line 2) near '<eof>'".into()
            )
        );
        assert_eq!(refused("x = = 1"), (1, "unexpected symbol near '='".into()));
        assert_eq!(
            refused("local a = f\n(g)()"),
            (
                2,
                "ambiguous syntax (function call x new statement) near '('".into()
            )
        );
        assert_eq!(
            refused("break"),
            (1, "no loop to break near '<eof>'".into())
        );
        assert_eq!(
            refused("local function f() return ... end"),
            (
                1,
                "cannot use '...' outside a vararg function near '...'".into()
            )
        );
        assert_eq!(
            refused("return 1e"),
            (1, "malformed number near '1e'".into())
        );
        assert_eq!(refused("f() = 1"), (1, "unexpected symbol near '='".into()));
        assert_eq!(refused("(a) = 1"), (1, "syntax error near '='".into()));
        assert_eq!(
            refused("return 'abc\n'"),
            (1, "unfinished string near ''abc'".into())
        );
        // NUL bytes: the token text up to the first, and no `near` for a NUL token.
        assert_eq!(
            refused("return 'a\0b\n'"),
            (1, "unfinished string near ''a'".into())
        );
        assert_eq!(refused("return \0"), (1, "unexpected symbol".into()));
        // A long string as `read_long_string` saves it: the first line break skipped,
        // each other one `\n` (shown as a space). Measured on the servers.
        assert_eq!(
            refused("local function f[[\r\nab\r\ncd\n\ref]]"),
            (4, "'(' expected near '[[ab cd ef]]'".into())
        );
        assert_eq!(
            refused("local function f[==[\n\nab]==]"),
            (3, "'(' expected near '[==[ ab]==]'".into())
        );
    }

    #[test]
    fn limits_at_the_boundary() {
        let nested = |n: usize| format!("{}1{}", "(".repeat(n), ")".repeat(n));
        // main chunk (1) + `return` expression: each `(` is one `subexpr` more.
        assert!(check(&format!("return {}", nested(198))).is_ok());
        assert_eq!(
            refused(&format!("return {}", nested(199))).1,
            "chunk has too many syntax levels"
        );
        let locals = |n: usize| {
            (0..n)
                .map(|i| format!("local v{i} = {i}\n"))
                .collect::<String>()
        };
        assert!(check(&locals(200)).is_ok());
        assert_eq!(
            refused(&locals(201)),
            (
                201,
                "main function has more than 200 local variables".into()
            )
        );
        let upvalues = |n: usize| {
            let mut s = locals(n);
            s.push_str("return function()\n  return ");
            s.push_str(
                &(0..n)
                    .map(|i| format!("v{i}"))
                    .collect::<Vec<_>>()
                    .join(" + "),
            );
            s.push_str("\nend\n");
            s
        };
        assert!(check(&upvalues(60)).is_ok());
        assert_eq!(
            refused(&upvalues(61)),
            (64, "function at line 62 has more than 60 upvalues".into())
        );
    }

    /// The servers' answers, measured: `luaK_checkstack` refuses at 250 registers, naming
    /// the token the parser is on when the code generator asks.
    #[test]
    fn registers_at_the_boundary() {
        let locals = |n: usize| {
            (0..n)
                .map(|i| format!("local v{i} = {i}\n"))
                .collect::<String>()
        };
        let list = |n: usize, item: &str, sep: &str| vec![item; n].join(sep);
        let too_complex = |near: &str| format!("function or expression too complex near '{near}'");
        // A `..` chain: every piece waits in a register; the last one is put there after
        // the chain is read.
        let chain = |n: usize| {
            let pieces: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
            format!("{}return {}", locals(190), pieces.join(" .. "))
        };
        assert!(check(&chain(59)).is_ok());
        assert_eq!(refused(&chain(60)), (191, too_complex("<eof>")));
        // Arguments: the last one goes to its register after the `)`.
        let call = |n: usize| format!("f({})\nreturn 1", list(n, "1", ", "));
        assert!(check(&call(248)).is_ok());
        assert_eq!(refused(&call(249)), (2, too_complex("return")));
        // A method call takes two registers (`luaK_self`).
        let method = |n: usize| format!("local o = {{}}\nreturn o:m({})", list(n, "1", ", "));
        assert!(check(&method(246)).is_ok());
        assert_eq!(refused(&method(247)), (2, too_complex("<eof>")));
        // A constructor keeps at most 50 list items in registers.
        let table = |n: usize| format!("{}return {{{}}}", locals(n), list(60, "1", ", "));
        assert!(check(&table(198)).is_ok());
        assert_eq!(refused(&table(199)), (200, too_complex("1")));
        // Past 255 constants, an operand takes a register (`luaK_exp2RK`).
        let constants = |n: usize| {
            let strings: Vec<String> = (0..n).map(|i| format!("'s{i}'")).collect();
            let names: Vec<String> = (0..189).map(|i| format!("v{i}")).collect();
            format!(
                "local c = {{{}}}\nlocal {}\nreturn {} .. (x + 7)",
                strings.join(", "),
                names.join(", "),
                names[..58].join(" .. ")
            )
        };
        assert!(check(&constants(254)).is_ok());
        assert_eq!(refused(&constants(255)), (3, too_complex(")")));
    }

    /// 262143 constants per function (`MAXARG_Bx`); the servers' message names no line
    /// (a runtime error of their Lua), evalsha's the line of the constant past it.
    #[test]
    fn constants_at_the_boundary() {
        let numbers = |n: usize| (0..n).map(|i| format!("{i},")).collect::<String>();
        let table = |n: usize| format!("local t = {{{}\n'last'}}", numbers(n));
        assert!(check(&table(262_142)).is_ok());
        assert_eq!(
            refused(&table(262_143)),
            (2, "constant table overflow".into())
        );
    }

    #[test]
    fn long_chains_are_loops_and_deep_nesting_is_refused_without_recursion() {
        let chain = format!("return 1{}", " + 1".repeat(100_000));
        let shape = check(&chain).unwrap();
        assert_eq!(shape.longest_chain, 100_000);
        for open in ["(", "{", "function() return ", "- "] {
            let deep = format!("return {}", open.repeat(100_000));
            assert_eq!(
                refused(&deep).1,
                "chunk has too many syntax levels",
                "{open}"
            );
        }
        let ifs = format!(
            "{}return 1{}",
            "if x then ".repeat(100_000),
            " end".repeat(100_000)
        );
        assert_eq!(refused(&ifs).1, "chunk has too many syntax levels");
    }
}
