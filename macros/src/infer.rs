//! What a script without parameter declarations says about its parameters by how it uses
//! `KEYS` and `ARGV`, beyond the highest literal index ([`crate::lua::Usage`]):
//!
//! - where a variadic tail starts, so the arguments before it keep their own names and
//!   types: `for i = 3, #ARGV`, `unpack(ARGV, 3)` (the tail is `ARGV[3..]`), or
//!   `table.remove(ARGV, 1)` written twice (the first two are taken off the front);
//! - which trailing arguments are optional: those the script tests for presence
//!   (`if ARGV[n] then`, `ARGV[n] == nil`, `ARGV[n] ~= nil`, `not ARGV[n]`,
//!   `ARGV[n] or default`), from the last one back; not those whose absence only leads to
//!   an error (`if not ARGV[n] then return redis.error_reply(..) end`, `error(..)`,
//!   `assert(ARGV[n], ..)`): the script refuses a call without them, so they are required.

use full_moon::ast::{self, Call, Expression, FunctionArgs, Prefix, Suffix, UnOp, Var};
use full_moon::tokenizer::TokenType;
use full_moon::visitors::Visitor;

use crate::check::scope::{ArgTest, Facts};
use crate::lua::{Side, Usage};

/// The shape of a script's parameters beyond its literal indexes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Shape {
    /// The first `KEYS` slot of the variadic tail, when the script's use shows it.
    pub(crate) keys_tail: Option<usize>,
    /// The first `ARGV` slot of the variadic tail, when the script's use shows it.
    pub(crate) args_tail: Option<usize>,
    /// The first of the trailing `ARGV` slots the script tests for presence: they are
    /// optional, and `None` sends nothing.
    pub(crate) optional_from: Option<usize>,
}

/// The shape of a script (`KEYS`/`ARGV` globals) that `usage` and `facts` describe.
pub(crate) fn shape(ast: &ast::Ast, usage: &Usage, facts: &Facts) -> Shape {
    let mut tails = Tails::new("KEYS", "ARGV");
    tails.visit_ast(ast);
    tails.shape(usage, facts)
}

/// The shape of a Redis Function's callback, whose body is `body` and whose keys and
/// arguments parameters are named `keys` and `args`, that `usage` and `facts` (of that
/// body, [`crate::check::scope::analyse_callback`]) describe.
pub(crate) fn callback_shape(
    body: &ast::Block,
    (keys, args): (&str, &str),
    usage: &Usage,
    facts: &Facts,
) -> Shape {
    use full_moon::visitors::Visit;
    let mut tails = Tails::new(keys, args);
    body.visit(&mut tails);
    tails.shape(usage, facts)
}

impl Tails<'_> {
    /// The shape the hints found and `usage` and `facts` make.
    fn shape(&self, usage: &Usage, facts: &Facts) -> Shape {
        Shape {
            keys_tail: self.keys.start(&usage.keys),
            args_tail: self.args.start(&usage.args),
            optional_from: optional_from(&usage.args, facts),
        }
    }
}

/// The first of the trailing literal `ARGV` slots that are each tested for presence; none
/// when `ARGV` is used dynamically (a variadic tail has no trailing fixed slot).
fn optional_from(args: &Side, facts: &Facts) -> Option<usize> {
    if args.dynamic {
        return None;
    }
    // A test whose "absent" branch only raises an error makes the argument required.
    let presence = |n: usize| {
        !facts.required_args.contains(&n)
            && facts.arg_uses.iter().any(|u| {
                u.index == n
                    && match &u.test {
                        ArgTest::Truth | ArgTest::Defaulted => true,
                        ArgTest::Compared(literal) => literal == "nil",
                    }
            })
    };
    let mut from = None;
    for n in (1..=args.max()).rev() {
        if !presence(n) {
            break;
        }
        from = Some(n);
    }
    from
}

/// Hints at where one side's tail starts.
#[derive(Default)]
struct Hints {
    /// Starts shown by `for i = N, #T`, `unpack(T, N)`, `ipairs(T)`.
    starts: Vec<usize>,
    /// `table.remove(T, 1)` calls: each takes one fixed value off the front.
    removed: usize,
}

impl Hints {
    /// The tail's first slot, for a side used dynamically: after the values removed from
    /// the front (later loops run over what is left), else the lowest start shown.
    fn start(&self, side: &Side) -> Option<usize> {
        if !side.dynamic {
            return None;
        }
        if self.removed > 0 {
            return Some(self.removed + 1);
        }
        self.starts.iter().copied().min()
    }
}

struct Tails<'n> {
    names: (&'n str, &'n str),
    keys: Hints,
    args: Hints,
}

impl<'n> Tails<'n> {
    fn new(keys: &'n str, args: &'n str) -> Self {
        Tails {
            names: (keys, args),
            keys: Hints::default(),
            args: Hints::default(),
        }
    }

    /// The hints of the side `expr` names (a bare `KEYS` / `ARGV`).
    fn side(&mut self, expr: &Expression) -> Option<&mut Hints> {
        let name = bare_name(expr)?;
        if name == self.names.0 {
            Some(&mut self.keys)
        } else if name == self.names.1 {
            Some(&mut self.args)
        } else {
            None
        }
    }
}

impl Visitor for Tails<'_> {
    fn visit_numeric_for(&mut self, for_loop: &ast::NumericFor) {
        // `for i = N, #T`
        let Expression::UnaryOperator {
            unop: UnOp::Hash(_),
            expression,
        } = for_loop.end()
        else {
            return;
        };
        let Some(start) = number(for_loop.start()) else {
            return;
        };
        if let Some(hints) = self.side(expression) {
            hints.starts.push(start);
        }
    }

    fn visit_function_call(&mut self, call: &ast::FunctionCall) {
        let Prefix::Name(prefix) = call.prefix() else {
            return;
        };
        let prefix = prefix.token().to_string();
        let suffixes: Vec<&Suffix> = call.suffixes().collect();
        let (function, arguments) = match &*suffixes {
            [Suffix::Call(Call::AnonymousCall(args))] => (prefix, args),
            [
                Suffix::Index(ast::Index::Dot { name, .. }),
                Suffix::Call(Call::AnonymousCall(args)),
            ] => (format!("{prefix}.{}", name.token()), args),
            _ => return,
        };
        let FunctionArgs::Parentheses { arguments, .. } = &**arguments else {
            return;
        };
        let args: Vec<&Expression> = arguments.iter().collect();
        let Some(first) = args.first() else { return };
        let second = args.get(1).map(|e| number(e));
        let Some(hints) = self.side(first) else {
            return;
        };
        match (function.as_str(), second) {
            ("unpack", None) | ("ipairs" | "pairs", _) => hints.starts.push(1),
            ("unpack", Some(Some(start))) => hints.starts.push(start),
            ("table.remove", Some(Some(1))) => hints.removed += 1,
            _ => {}
        }
    }
}

/// `NAME` alone (not `NAME[..]`, not a call).
fn bare_name(expr: &Expression) -> Option<String> {
    match expr {
        Expression::Var(Var::Name(name)) => Some(name.token().to_string()),
        Expression::Parentheses { expression, .. } => bare_name(expression),
        _ => None,
    }
}

/// A positive integer literal.
fn number(expr: &Expression) -> Option<usize> {
    match expr {
        Expression::Number(token) => match token.token_type() {
            TokenType::Number { text } => text.as_str().parse().ok().filter(|n| *n > 0),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape_of(code: &str) -> Shape {
        let ast = crate::lua::parse(code).unwrap();
        let usage = crate::lua::usage(&ast);
        let facts = crate::check::scope::analyse(ast.nodes());
        shape(&ast, &usage, &facts)
    }

    #[test]
    fn tails_start_where_the_script_shows() {
        let s = shape_of(
            "local a, b = ARGV[1], ARGV[2]\nfor i = 3, #ARGV do redis.call('SADD', KEYS[1], ARGV[i]) end",
        );
        assert_eq!(s.args_tail, Some(3));
        assert_eq!(s.keys_tail, None);
        let s = shape_of("return redis.call('HSET', KEYS[1], unpack(ARGV, 3))");
        assert_eq!(s.args_tail, Some(3));
        let s = shape_of(
            "local a = table.remove(ARGV, 1)\nlocal b = table.remove(ARGV, 1)\n\
             for i = 1, #ARGV do end\nreturn redis.call('DEL', unpack(KEYS, 2))",
        );
        assert_eq!((s.args_tail, s.keys_tail), (Some(3), Some(2)));
        // Dynamic with no start shown: the whole side.
        let s = shape_of("for i = 1, #KEYS do end\nreturn ARGV[#ARGV]");
        assert_eq!((s.keys_tail, s.args_tail), (Some(1), None));
        // Not dynamic: no tail.
        assert_eq!(shape_of("return {KEYS[1], ARGV[2]}"), Shape::default());
    }

    #[test]
    fn trailing_presence_tests_make_arguments_optional() {
        let s = shape_of(
            "local limit = ARGV[3]\nif ARGV[2] then end\nif limit == nil then end\nreturn ARGV[1]",
        );
        assert_eq!(s.optional_from, Some(2));
        assert_eq!(
            shape_of("local x = ARGV[2] or '5'\nreturn ARGV[1]").optional_from,
            Some(2)
        );
        assert_eq!(
            shape_of("if not ARGV[1] then return 0 end\nreturn ARGV[1] ~= nil").optional_from,
            Some(1)
        );
        // Only trailing ones: ARGV[3] is required, so ARGV[2] is too.
        assert_eq!(
            shape_of("if ARGV[2] then end\nreturn ARGV[3]").optional_from,
            None
        );
        assert_eq!(
            shape_of("if ARGV[1] == 'x' then end\nreturn 1").optional_from,
            None
        );
    }

    #[test]
    fn a_presence_test_that_only_refuses_keeps_the_argument_required() {
        // apalis's fetch_by_id.lua: absent, the script only returns an error.
        let s = shape_of(
            "local id = ARGV[1]\nif not id then\n  return redis.error_reply('missing id')\nend\n\
             return redis.call('HGET', KEYS[1], id)",
        );
        assert_eq!(s.optional_from, None);
        // `error(..)`, `== nil`, one test among others in an `or`, `return {err = ..}`.
        assert_eq!(
            shape_of("if ARGV[1] == nil then error('no') end\nreturn ARGV[1]").optional_from,
            None
        );
        assert_eq!(
            shape_of("if ARGV[2] == '' or not ARGV[2] then return {err = 'x'} end\nreturn ARGV[1]")
                .optional_from,
            None
        );
        // The absent branch is the `else`; and `assert(ARGV[n], ..)`.
        assert_eq!(
            shape_of("if ARGV[1] then return ARGV[1] else return redis.error_reply('no') end")
                .optional_from,
            None
        );
        assert_eq!(
            shape_of("assert(ARGV[1], 'no id')\nreturn ARGV[1]").optional_from,
            None
        );
        // An absent branch that does something else keeps it optional; only the one guarded
        // argument is required.
        assert_eq!(
            shape_of("if not ARGV[1] then redis.call('INCR', 'n') return 0 end\nreturn 1")
                .optional_from,
            Some(1)
        );
        assert_eq!(
            shape_of(
                "if not ARGV[1] then return redis.error_reply('no') end\n\
                 local limit = ARGV[2] or '10'\nreturn ARGV[1] .. limit"
            )
            .optional_from,
            Some(2)
        );
    }
}
