//! The Lua side of the checks: a real Lua 5.1 parse (the dialect Redis embeds, by
//! `full_moon` with only its Lua 5.1 grammar), and where the script uses `KEYS` and
//! `ARGV`. Strings, long strings and comments never count as uses: they are tokens of
//! their own kinds, not names.

use full_moon::ast::{self, Expression, Index, Prefix, Suffix, Var};
use full_moon::tokenizer::{TokenReference, TokenType};
use full_moon::visitors::Visitor;

use crate::lua51;
use crate::problem::Problem;
use crate::shebang::Shebang;

/// How the script uses one of `KEYS` / `ARGV`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Side {
    /// Every literal index used, with its line and column: `KEYS[2]` → `(2, line, col)`.
    pub(crate) literal: Vec<(usize, usize, usize)>,
    /// Used in a way that needs any number of values: `KEYS[i]`, `#ARGV`, `unpack(KEYS)`.
    pub(crate) dynamic: bool,
    /// Line and column of the first such use.
    pub(crate) dynamic_at: Option<(usize, usize)>,
}

impl Side {
    /// Records a use that needs any number of values, at `name`'s position.
    fn mark_dynamic(&mut self, name: &TokenReference) {
        self.dynamic = true;
        if self.dynamic_at.is_none() {
            let pos = name.token().start_position();
            self.dynamic_at = Some((pos.line(), pos.character()));
        }
    }

    /// The highest literal index used, or 0.
    pub(crate) fn max(&self) -> usize {
        self.literal.iter().map(|u| u.0).max().unwrap_or(0)
    }
}

/// Uses of `KEYS` and `ARGV`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Usage {
    pub(crate) keys: Side,
    pub(crate) args: Side,
}

/// Parses `text` as Lua 5.1 and finds its uses of `KEYS` and `ARGV`. A leading `#!lua`
/// line is blanked first (keeping line numbers), as Redis does.
#[cfg(test)]
pub(crate) fn analyse(text: &str) -> Result<Usage, Vec<Problem>> {
    parse(text).map(|ast| usage(&ast))
}

/// Parses `text` as Lua 5.1 (a leading `#!lua` line blanked, keeping line numbers): first
/// through the servers' own front end ([`reference`]), whose refusals are the servers'
/// wording and line, then, when it accepts, through `full_moon` for the syntax tree.
///
/// Safe on any input. The reference bounds nesting (200 syntax levels, as the servers)
/// before `full_moon` sees the text, and `full_moon` runs on [`on_large_stack`] (its
/// parse takes up to ~58 KiB of stack per level, unoptimized as proc macros are built:
/// 150 nested `if`s overflowed rustc's 8 MiB). The tree comes back to the caller, whose
/// walks over it take ~2.5 KiB per level at most (~0.5 MiB for 200 levels). What the
/// reference leaves unbounded is the length of an operator chain (`1 + 1 + ... + 1`, a
/// left-leaning tree as deep as the chain is long, ~1 KiB of stack per link for a walk):
/// on a thread of [`on_large_stack`] (`include_script!` walks there) any length its
/// stack was sized for is parsed; elsewhere (`include_library!`, whose reading keeps the
/// tree beside the macro's own types, which cannot leave the macro's thread) chains over
/// [`MAX_CHAIN_ON_CALLER`] are refused.
pub(crate) fn parse(text: &str) -> Result<ast::Ast, Vec<Problem>> {
    let on_large = STACK_CHAIN.with(|c| c.get());
    let (ast, shape) = if on_large > 0 {
        parse_here(text, on_large)?
    } else {
        on_large_stack(text, || parse_here(text, STACK_CHAIN.with(|c| c.get())))?
    };
    if on_large == 0 && shape.longest_chain > MAX_CHAIN_ON_CALLER {
        return Err(chain_too_long(shape, MAX_CHAIN_ON_CALLER));
    }
    Ok(ast)
}

fn chain_too_long(shape: lua51::Shape, allowed: usize) -> Vec<Problem> {
    vec![Problem {
        line: 1,
        col: 1,
        message: format!(
            "an expression chains {} binary operators in a row, more than evalsha \
             analyses here ({allowed}); the servers accept it: split it with parentheses \
             or locals",
            shape.longest_chain
        ),
    }]
}

/// [`parse`] on this thread, whose stack holds chains of `allowed` links.
fn parse_here(text: &str, allowed: usize) -> Result<(ast::Ast, lua51::Shape), Vec<Problem>> {
    let shape = reference(text, false)?;
    if shape.longest_chain > allowed {
        return Err(chain_too_long(shape, allowed));
    }
    let code = blank_shebang(text);
    // Lua's whitespace includes vertical tab and form feed, `full_moon`'s does not: they
    // become spaces for it (one byte each, so every position stays).
    let code = if code.contains(['\x0b', '\x0c']) {
        std::borrow::Cow::Owned(code.replace(['\x0b', '\x0c'], " "))
    } else {
        code
    };
    let ast = full_moon::parse_fallible(&code, full_moon::LuaVersion::lua51());
    if !ast.errors().is_empty() {
        // The first error only, as Lua reports it: the parser's later ones follow from it
        // (one missing `end` also leaves the enclosing function unclosed). The reference
        // accepted the script, so this is a script the servers load and `full_moon` does
        // not (`differential::generated_scripts_agree_with_every_server` hunts for them).
        return Err(ast
            .errors()
            .iter()
            .take(1)
            .map(|err| {
                let (start, _) = err.range();
                let line = start.line().max(1);
                let source = code.split('\n').nth(line - 1).unwrap_or("");
                Problem {
                    line,
                    col: start.character().max(1),
                    message: format!(
                        "Lua syntax error: {}{}",
                        err.error_message(),
                        template_hint(source)
                    ),
                }
            })
            .collect());
    }
    Ok((ast.into_ast(), shape))
}

/// Whether the servers' Lua compiles `text` (a leading `#!lua` line blanked), Redis 6.2's
/// too with `redis62` (it refuses a nested `[[` that later servers read as text). A
/// refusal reads as the server's (`Lua syntax error: chunk has too many syntax levels`)
/// at the line it names.
pub(crate) fn reference(text: &str, redis62: bool) -> Result<lua51::Shape, Vec<Problem>> {
    let code = blank_shebang(text);
    let refused = |refusal: lua51::Refusal, note: &str| {
        let source = code.split('\n').nth(refusal.line.max(1) - 1).unwrap_or("");
        // A limit is no template's doing (`{{` opens nested tables too).
        let limit = [
            "syntax levels",
            "has more than",
            "too many",
            "too complex",
            "overflow",
        ]
        .iter()
        .any(|m| refusal.message.contains(m));
        let hint = if limit { "" } else { template_hint(source) };
        vec![Problem {
            line: refusal.line.max(1),
            col: refusal.col,
            message: format!("Lua syntax error: {}{note}{hint}", refusal.message),
        }]
    };
    let later = lua51::check(&code);
    if redis62 && let Err(nested) = lua51::check_redis62(&code) {
        // Redis 6.2 reads the same tokens up to a nested `[[`: its refusal differs only
        // when it comes first.
        let first = match &later {
            Err(refusal) => nested.line <= refusal.line && nested.message != refusal.message,
            Ok(_) => true,
        };
        if first {
            return Err(refused(nested, REDIS62_NOTE));
        }
    }
    later.map_err(|r| refused(r, ""))
}

/// What a refusal only Redis 6.2 makes adds to the server's message.
pub(crate) const REDIS62_NOTE: &str = " (on Redis 6.2; Redis 7.0 and later and Valkey load it)";

/// The longest operator chain [`parse`] accepts off [`on_large_stack`]; the walks over
/// such a tree take about 1 MiB of stack.
pub(crate) const MAX_CHAIN_ON_CALLER: usize = 1_000;

/// Stack per link of an operator chain that the parse or a walk over the tree takes
/// (unoptimized, as proc macros are built; measured ~0.9 KiB), with a margin.
const STACK_PER_LINK: usize = 2 << 10;

/// Stack for everything but chains: 200 levels of the reference (~8 KiB per level),
/// `full_moon`'s parse (up to ~58 KiB per level) and the walks (~2.5 KiB), with a margin.
const STACK_BASE: usize = 64 << 20;

/// The largest stack [`on_large_stack`] asks for (reserved, not touched).
const MAX_STACK: usize = 4 << 30;

thread_local! {
    /// On a thread of [`on_large_stack`]: the chain length its stack was sized for.
    static STACK_CHAIN: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Runs `work` (the reference, the parse, and maybe the walks over the tree of `text`) on
/// a thread whose stack holds any nesting the servers load and any operator chain `text`
/// can hold (a link takes at least two bytes: `+1`), and waits for it. Its stack is
/// reserved, not touched: a 1 MB script reserves ~0.6 GiB and uses what its shape needs.
/// Past [`MAX_STACK`], or when the system refuses the thread, the work runs here, where
/// [`parse`] bounds chains by itself: never a crash.
pub(crate) fn on_large_stack<R: Send>(text: &str, work: impl FnOnce() -> R + Send) -> R {
    let chain = (text.len() / 2).min((MAX_STACK - STACK_BASE) / STACK_PER_LINK);
    let size = STACK_BASE + chain * STACK_PER_LINK;
    let mut work = Some(work);
    let ran = std::thread::scope(|scope| {
        let work = &mut work;
        let spawned = std::thread::Builder::new()
            .name("evalsha-lua".into())
            .stack_size(size)
            .spawn_scoped(scope, move || {
                STACK_CHAIN.with(|c| c.set(chain.max(1)));
                work.take().map(|w| w())
            });
        spawned.ok().map(|handle| handle.join())
    });
    match ran {
        Some(Ok(Some(result))) => result,
        Some(Err(panic)) => std::panic::resume_unwind(panic),
        // No thread: the work runs here.
        _ => (work.take().expect("the work did not run"))(),
    }
}

/// Scripts kept as templates (ERB `<%= include_partial .. %>`, Jinja/Mustache `{{ }}`,
/// `{% %}`) are rendered by their project's loader before Redis sees them; a syntax error
/// on such a line says so.
fn template_hint(line: &str) -> &'static str {
    const MARKERS: &[&str] = &["<%", "%>", "{{", "}}", "{%", "%}"];
    if MARKERS.iter().any(|m| line.contains(m)) {
        "; this line is template markup, not Lua: the file is a template that its \
         project renders before loading it. evalsha embeds files as they are: compose the \
         script with `--- @include \"path\"` lines instead, or include the rendered file"
    } else {
        ""
    }
}

/// The uses of `KEYS` and `ARGV` in a parsed script.
pub(crate) fn usage(ast: &ast::Ast) -> Usage {
    let mut finder = Finder::new("KEYS", "ARGV");
    finder.visit_ast(ast);
    finder.usage
}

/// How a block uses the names `keys` and `args` (a library function's two parameters)
/// as script code uses `KEYS` and `ARGV`.
pub(crate) fn usage_in(block: &ast::Block, keys: &str, args: &str) -> Usage {
    use full_moon::visitors::Visit;
    let mut finder = Finder::new(keys, args);
    block.visit(&mut finder);
    finder.usage
}

/// Uses of `KEYS[n]` / `ARGV[n]` beyond what the header declares (only when there is a
/// header: without one the methods are generated from the uses).
pub(crate) fn check(header: &crate::header::Header, usage: &Usage) -> Vec<Problem> {
    let mut problems = Vec::new();
    if !header.present {
        return problems;
    }
    for (name, tag, side, declared) in [
        ("KEYS", "@key", &usage.keys, &header.keys),
        ("ARGV", "@arg", &usage.args, &header.args),
    ] {
        let variadic = declared.last().is_some_and(|p| p.variadic);
        if let Some((line, col)) = side.dynamic_at
            && !variadic
        {
            problems.push(Problem {
                line,
                col,
                message: format!(
                    "{name} is used as a whole or with a computed index (`{name}[i]`, `#{name}`, \
                     `unpack({name})`, passed to a function), so the script takes any number of \
                     them, but the header declares {} `{tag}` line{} and none is variadic; declare \
                     the rest with `---{tag} ...NAME{}`",
                    declared.len(),
                    if declared.len() == 1 { "" } else { "s" },
                    if tag == "@arg" { " TYPE" } else { "" },
                ),
            });
        }
        let mut reported = Vec::new();
        for &(n, line, col) in &side.literal {
            if reported.contains(&n) {
                continue;
            }
            let message = if n == 0 {
                format!("{name}[0] is always nil: Lua tables count from 1")
            } else if n > declared.len() && !variadic {
                let hint = if declared.is_empty() {
                    format!("; declare it with `---{tag} NAME`")
                } else {
                    String::new()
                };
                format!(
                    "{name}[{n}] is used but the header declares {} `{tag}` line{}{hint}",
                    declared.len(),
                    if declared.len() == 1 { "" } else { "s" }
                )
            } else {
                continue;
            };
            reported.push(n);
            problems.push(Problem { line, col, message });
        }
    }
    problems
}

fn blank_shebang(text: &str) -> std::borrow::Cow<'_, str> {
    match Shebang::read(text) {
        Some(line) => std::borrow::Cow::Owned(text[line.end..].to_owned()),
        None => std::borrow::Cow::Borrowed(text),
    }
}

struct Finder<'n> {
    usage: Usage,
    /// The names that stand for the keys and the args: `KEYS`, `ARGV` in a script.
    names: (&'n str, &'n str),
}

impl<'n> Finder<'n> {
    fn new(keys: &'n str, args: &'n str) -> Self {
        Self {
            usage: Usage::default(),
            names: (keys, args),
        }
    }

    fn side(&mut self, name: &TokenReference) -> Option<&mut Side> {
        match name.token_type() {
            TokenType::Identifier { identifier } if identifier.as_str() == self.names.0 => {
                Some(&mut self.usage.keys)
            }
            TokenType::Identifier { identifier } if identifier.as_str() == self.names.1 => {
                Some(&mut self.usage.args)
            }
            _ => None,
        }
    }

    /// `KEYS<suffixes>`: a literal `[n]` first is a use of slot n; anything else is dynamic.
    fn indexed<'a>(&mut self, prefix: &Prefix, mut suffixes: impl Iterator<Item = &'a Suffix>) {
        let Prefix::Name(name) = prefix else { return };
        let first = suffixes.next();
        let Some(side) = self.side(name) else { return };
        match first {
            Some(Suffix::Index(Index::Brackets { expression, .. })) => match &**expression {
                Expression::Number(number) => match number_value(number) {
                    Some(n) => {
                        let pos = name.token().start_position();
                        side.literal.push((n, pos.line(), pos.character()));
                    }
                    None => side.mark_dynamic(name),
                },
                _ => side.mark_dynamic(name),
            },
            _ => side.mark_dynamic(name),
        }
    }
}

fn number_value(number: &TokenReference) -> Option<usize> {
    match number.token_type() {
        TokenType::Number { text } => text.as_str().parse().ok(),
        _ => None,
    }
}

impl Visitor for Finder<'_> {
    fn visit_var(&mut self, var: &Var) {
        // A bare `KEYS` / `ARGV` as a value: `#KEYS`, `unpack(ARGV)`, `ipairs(KEYS)`.
        if let Var::Name(name) = var
            && let Some(side) = self.side(name)
        {
            side.mark_dynamic(name);
        }
    }

    fn visit_var_expression(&mut self, var: &ast::VarExpression) {
        self.indexed(var.prefix(), var.suffixes());
    }

    fn visit_function_call(&mut self, call: &ast::FunctionCall) {
        // `KEYS[1]:upper()` is a call whose prefix is `KEYS`.
        self.indexed(call.prefix(), call.suffixes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(code: &str) -> Usage {
        analyse(code).unwrap()
    }

    #[test]
    fn literal_indexes_with_positions() {
        let u = usage("local a = KEYS[1]\nreturn redis.call('GET', KEYS[2], ARGV[3])");
        assert_eq!(u.keys.literal, vec![(1, 1, 11), (2, 2, 26)]);
        assert_eq!(u.keys.max(), 2);
        assert_eq!(u.args.max(), 3);
        assert!(!u.keys.dynamic && !u.args.dynamic);
    }

    #[test]
    fn strings_and_comments_are_not_uses() {
        let u =
            usage("-- KEYS[9]\n--[[ ARGV[9] ]]\nlocal s = 'KEYS[9]' .. [==[ARGV[8]]==]\nreturn s");
        assert_eq!(u, Usage::default());
    }

    #[test]
    fn dynamic_uses() {
        assert!(
            usage("for i = 1, #KEYS do redis.call('DEL', KEYS[i]) end")
                .keys
                .dynamic
        );
        assert!(
            usage("return redis.call('MGET', unpack(KEYS))")
                .keys
                .dynamic
        );
        assert!(usage("for _, a in ipairs(ARGV) do end").args.dynamic);
        assert!(usage("local first = table.remove(ARGV, 1)").args.dynamic);
        let u = usage("local function f(t) return t end\nreturn f(ARGV)");
        assert_eq!(u.args.dynamic_at, Some((2, 10)));
        let u = usage("return KEYS[1]:upper()");
        assert_eq!(u.keys.max(), 1);
        assert!(!u.keys.dynamic);
    }

    #[test]
    fn unrendered_templates_are_named() {
        let errs = parse("local a = 1\n<%= include_partial \"shared/_common.lua\" %>\nreturn a")
            .unwrap_err();
        // `1 < %`: Lua reads `<` as an operator and stops at `%`.
        assert_eq!((errs[0].line, errs[0].col), (2, 2));
        assert!(
            errs[0].message.contains("template markup"),
            "{}",
            errs[0].message
        );
        let errs = parse("local a = \nreturn a").unwrap_err();
        assert!(!errs[0].message.contains("template"), "{}", errs[0].message);
    }

    #[test]
    fn syntax_errors_have_positions() {
        let errs = analyse("local x = 1\nif x then\n  return 1\n").unwrap_err();
        assert!(!errs.is_empty());
        assert!(
            errs[0].message.starts_with("Lua syntax error"),
            "{}",
            errs[0].message
        );
        // Lua 5.2+ syntax is not Lua 5.1.
        assert!(analyse("goto done\n::done::").is_err());
    }

    #[test]
    fn shebang_line_is_allowed_and_lines_stay() {
        let u = usage("#!lua flags=no-writes\nreturn KEYS[1]");
        assert_eq!(u.keys.literal, vec![(1, 2, 8)]);
    }
}
