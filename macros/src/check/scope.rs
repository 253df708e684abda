//! The one scope analysis every check reads, done in a single walk of the chunk (as
//! selene does): which names are locals (`local`, `local function`, parameters, `for`
//! variables, `repeat ... until` seeing the body's locals, the implicit `arg` table of
//! vararg functions) and which are globals, what each global use is, and the facts the
//! Redis checks need: `redis.call`/`redis.pcall` calls (also through `local rcall =
//! redis.call` aliases), the chunk's own `return` statements, and where an `ARGV[n]`
//! (also through `local x = ARGV[n]`) is tested for truth or compared with a literal.

use std::collections::HashMap;

use full_moon::ast::{
    self, BinOp, Block, Call, Expression, Field, FunctionArgs, FunctionBody, Index, LastStmt,
    Parameter, Prefix, Stmt, Suffix, UnOp, Var,
};
use full_moon::tokenizer::{StringLiteralQuoteType, TokenReference, TokenType};

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pos {
    pub(crate) line: usize,
    pub(crate) col: usize,
}

fn pos(token: &TokenReference) -> Pos {
    let p = token.token().start_position();
    Pos {
        line: p.line(),
        col: p.character(),
    }
}

fn name_of(token: &TokenReference) -> Option<&str> {
    match token.token_type() {
        TokenType::Identifier { identifier } => Some(identifier.as_str()),
        _ => None,
    }
}

/// A use of a name no local binds.
#[derive(Debug, Clone)]
pub(crate) struct GlobalUse {
    pub(crate) name: String,
    pub(crate) pos: Pos,
    /// `name.field` right after the name, with the field's position.
    pub(crate) field: Option<(String, Pos)>,
    pub(crate) kind: UseKind,
    /// The field is only tested for existence: `if redis.REDIS_VERSION then`,
    /// `(table.unpack or unpack)`.
    pub(crate) guarded: bool,
}

/// What a [`GlobalUse`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UseKind {
    /// Reads the global (and maybe its field).
    Read,
    /// `name = ...`.
    Write,
    /// `function name() end`.
    Define,
    /// `name.field = ...` or `function name.field() end`: a write into the global's table.
    FieldWrite,
}

/// A `redis.call(...)` / `redis.pcall(...)` (directly or through a local alias).
#[derive(Debug, Clone)]
pub(crate) struct RedisCall {
    /// The literal command name and its position, when the first argument is a string.
    pub(crate) command: Option<(String, Pos)>,
    /// The literal second word (a subcommand candidate), lowercase.
    pub(crate) second: Option<String>,
    /// Words sent: the command name and its arguments.
    pub(crate) words: usize,
    /// The last argument is a call or `...`: any number of further words may follow.
    pub(crate) open: bool,
}

/// A `return` of the chunk itself (not of a function inside it).
#[derive(Debug, Clone)]
pub(crate) struct ChunkReturn {
    pub(crate) values: usize,
    /// The second value.
    pub(crate) second: Pos,
}

/// How an `ARGV[n]` value is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArgTest {
    /// Tested for truth: `if ARGV[n] then`, `not ARGV[n]`, `ARGV[n] and x`.
    Truth,
    /// Compared (`==`/`~=`) with this literal (`"true"`, `true`, `"1"`, ...), as written.
    Compared(String),
    /// Given a default: `ARGV[n] or x` (a presence test, as a truth test is).
    Defaulted,
}

/// A use of `ARGV[n]` that a check may care about.
#[derive(Debug, Clone)]
pub(crate) struct ArgUse {
    /// The 1-based ARGV index.
    pub(crate) index: usize,
    pub(crate) test: ArgTest,
    pub(crate) pos: Pos,
}

/// A quoted string literal holding a backslash (long strings have no escapes).
#[derive(Debug, Clone)]
pub(crate) struct Escaped {
    /// The text between the quotes, as written.
    pub(crate) text: String,
    /// Where the opening quote is.
    pub(crate) pos: Pos,
}

/// Everything the walk found.
#[derive(Debug, Default)]
pub(crate) struct Facts {
    pub(crate) globals: Vec<GlobalUse>,
    /// Every name declared local somewhere in the chunk, for "did you mean".
    pub(crate) locals: std::collections::BTreeSet<String>,
    pub(crate) escaped: Vec<Escaped>,
    pub(crate) calls: Vec<RedisCall>,
    pub(crate) returns: Vec<ChunkReturn>,
    pub(crate) arg_uses: Vec<ArgUse>,
    /// `ARGV` indexes whose absence only leads to an error (`if not ARGV[n] then return
    /// redis.error_reply(..) end`, `assert(ARGV[n], ..)`): tested for presence, yet required.
    pub(crate) required_args: Vec<usize>,
}

/// What a local is known to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Alias {
    None,
    /// `redis.call` or `redis.pcall`.
    RedisCall,
    /// `ARGV[n]`.
    Argv(usize),
}

/// Walks `block` (a whole chunk).
pub(crate) fn analyse(block: &Block) -> Facts {
    analyse_with(block, "ARGV")
}

/// Walks the body of a Redis Function's callback whose arguments parameter is named `args`
/// (a script's `ARGV`): what it tells of the arguments (`arg_uses`, `required_args`).
pub(crate) fn analyse_callback(body: &Block, args: &str) -> Facts {
    analyse_with(body, args)
}

fn analyse_with(block: &Block, argv: &str) -> Facts {
    let mut walker = Walker {
        argv: argv.to_owned(),
        ..Walker::default()
    };
    walker.scopes.push(HashMap::new());
    walker.block(block);
    walker.facts
}

#[derive(Default)]
struct Walker {
    /// The name of the arguments table: `ARGV`, or a callback's parameter.
    argv: String,
    facts: Facts,
    /// Innermost last; each maps a local's name to what it holds.
    scopes: Vec<HashMap<String, Alias>>,
    /// One entry per function being walked: whether it is vararg (has the implicit `arg`).
    functions: Vec<bool>,
}

impl Walker {
    fn declare(&mut self, name: &str, alias: Alias) {
        if !self.facts.locals.contains(name) {
            self.facts.locals.insert(name.to_owned());
        }
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(name.to_owned(), alias);
        }
    }

    /// `Some(alias)` when `name` is a local here; `None` for a global.
    fn lookup(&self, name: &str) -> Option<Alias> {
        for scope in self.scopes.iter().rev() {
            if let Some(alias) = scope.get(name) {
                return Some(*alias);
            }
        }
        // Lua 5.1 gives every vararg function a local `arg` table (LUA_COMPAT_VARARG).
        if name == "arg" && self.functions.iter().any(|&vararg| vararg) {
            return Some(Alias::None);
        }
        None
    }

    fn forget(&mut self, name: &str) {
        for scope in self.scopes.iter_mut().rev() {
            if let Some(alias) = scope.get_mut(name) {
                *alias = Alias::None;
                return;
            }
        }
    }

    fn scoped(&mut self, f: impl FnOnce(&mut Self)) {
        self.scopes.push(HashMap::new());
        f(self);
        self.scopes.pop();
    }

    fn block(&mut self, block: &Block) {
        for stmt in block.stmts() {
            self.stmt(stmt);
        }
        if let Some(last) = block.last_stmt() {
            match last {
                LastStmt::Return(ret) => {
                    let values: Vec<&Expression> = ret.returns().iter().collect();
                    for value in &values {
                        self.expr(value);
                    }
                    if self.functions.is_empty()
                        && values.len() >= 2
                        && let Some(second) = first_token(values[1])
                    {
                        self.facts.returns.push(ChunkReturn {
                            values: values.len(),
                            second,
                        });
                    }
                }
                LastStmt::Break(_) => {}
                _ => {}
            }
        }
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::LocalAssignment(local) => {
                let exprs: Vec<&Expression> = local.expressions().iter().collect();
                for expr in &exprs {
                    self.expr(expr);
                }
                for (i, name) in local.names().iter().enumerate() {
                    let alias = exprs.get(i).map_or(Alias::None, |e| self.alias_of(e));
                    if let Some(name) = name_of(name) {
                        self.declare(name, alias);
                    }
                }
            }
            Stmt::LocalFunction(function) => {
                if let Some(name) = name_of(function.name()) {
                    self.declare(name, Alias::None);
                }
                self.function(function.body(), false);
            }
            Stmt::FunctionDeclaration(declaration) => {
                let name = declaration.name();
                let names: Vec<&TokenReference> = name.names().iter().collect();
                let method = name.method_name().is_some();
                if let Some(first) = names.first().and_then(|t| name_of(t).map(|n| (n, *t))) {
                    let (ident, token) = first;
                    if self.lookup(ident).is_none() {
                        let dotted = names.len() > 1 || method;
                        let field = if names.len() > 1 {
                            name_of(names[1]).map(|f| (f.to_owned(), pos(names[1])))
                        } else {
                            None
                        };
                        self.facts.globals.push(GlobalUse {
                            name: ident.to_owned(),
                            pos: pos(token),
                            field,
                            guarded: false,
                            kind: if dotted {
                                UseKind::FieldWrite
                            } else {
                                UseKind::Define
                            },
                        });
                    } else if names.len() == 1 && !method {
                        self.forget(ident);
                    }
                }
                self.function(declaration.body(), method);
            }
            Stmt::Assignment(assignment) => {
                for expr in assignment.expressions() {
                    self.expr(expr);
                }
                for var in assignment.variables() {
                    self.assigned(var);
                }
            }
            Stmt::FunctionCall(call) => {
                // `assert(ARGV[n], ..)`: absent, the script raises an error.
                if let Some(("assert", args)) = called(call.prefix(), call.suffixes().collect())
                    && let Some(first) = args.first()
                    && let Some(index) = self.argv_index(first)
                {
                    self.facts.required_args.push(index);
                }
                self.suffixed(call.prefix(), call.suffixes().collect())
            }
            Stmt::Do(block) => self.scoped(|w| w.block(block.block())),
            Stmt::While(w) => {
                self.condition(w.condition());
                self.scoped(|s| s.block(w.block()));
            }
            Stmt::Repeat(r) => self.scoped(|s| {
                s.block(r.block());
                s.condition(r.until());
            }),
            Stmt::If(i) => {
                // A presence test whose "absent" branch only raises an error: the argument is
                // required (the script refuses a call without it), not optional.
                let mut required = Vec::new();
                if raises(i.block()) {
                    self.absent_makes_true(i.condition(), &mut required);
                }
                if i.else_if().is_none_or(|branches| branches.is_empty())
                    && i.else_block().is_some_and(raises)
                {
                    self.absent_makes_false(i.condition(), &mut required);
                }
                self.facts.required_args.extend(required);
                self.condition(i.condition());
                self.scoped(|s| s.block(i.block()));
                for branch in i.else_if().into_iter().flatten() {
                    self.condition(branch.condition());
                    self.scoped(|s| s.block(branch.block()));
                }
                if let Some(block) = i.else_block() {
                    self.scoped(|s| s.block(block));
                }
            }
            Stmt::NumericFor(f) => {
                self.expr(f.start());
                self.expr(f.end());
                if let Some(step) = f.step() {
                    self.expr(step);
                }
                self.scoped(|s| {
                    if let Some(name) = name_of(f.index_variable()) {
                        s.declare(name, Alias::None);
                    }
                    s.block(f.block());
                });
            }
            Stmt::GenericFor(f) => {
                for expr in f.expressions() {
                    self.expr(expr);
                }
                self.scoped(|s| {
                    for name in f.names() {
                        if let Some(name) = name_of(name) {
                            s.declare(name, Alias::None);
                        }
                    }
                    s.block(f.block());
                });
            }
            _ => {}
        }
    }

    /// The target of an assignment.
    fn assigned(&mut self, var: &Var) {
        match var {
            Var::Name(token) => {
                let Some(name) = name_of(token) else { return };
                if self.lookup(name).is_some() {
                    self.forget(name);
                } else {
                    self.facts.globals.push(GlobalUse {
                        name: name.to_owned(),
                        pos: pos(token),
                        field: None,
                        kind: UseKind::Write,
                        guarded: false,
                    });
                }
            }
            Var::Expression(var) => {
                let suffixes: Vec<&Suffix> = var.suffixes().collect();
                // `global.field = x` / `global[k] = x`: a write into the global's table.
                if let (Prefix::Name(token), [Suffix::Index(index)]) = (var.prefix(), &*suffixes)
                    && let Some(name) = name_of(token)
                    && self.lookup(name).is_none()
                {
                    let field = match index {
                        Index::Dot { name: field, .. } => {
                            name_of(field).map(|f| (f.to_owned(), pos(field)))
                        }
                        Index::Brackets { expression, .. } => {
                            self.expr(expression);
                            None
                        }
                        _ => None,
                    };
                    self.facts.globals.push(GlobalUse {
                        name: name.to_owned(),
                        pos: pos(token),
                        field,
                        kind: UseKind::FieldWrite,
                        guarded: false,
                    });
                    return;
                }
                self.suffixed(var.prefix(), suffixes);
            }
            _ => {}
        }
    }

    fn function(&mut self, body: &FunctionBody, method: bool) {
        let vararg = body
            .parameters()
            .iter()
            .any(|p| matches!(p, Parameter::Ellipsis(_)));
        self.functions.push(vararg);
        self.scoped(|s| {
            if method {
                s.declare("self", Alias::None);
            }
            for parameter in body.parameters() {
                if let Parameter::Name(token) = parameter
                    && let Some(name) = name_of(token)
                {
                    s.declare(name, Alias::None);
                }
            }
            s.block(body.block());
        });
        self.functions.pop();
    }

    /// What a local initialised with `expr` holds.
    fn alias_of(&self, expr: &Expression) -> Alias {
        match expr {
            Expression::Var(Var::Name(token)) => name_of(token)
                .and_then(|n| self.lookup(n))
                .unwrap_or(Alias::None),
            Expression::Var(Var::Expression(var)) => {
                let suffixes: Vec<&Suffix> = var.suffixes().collect();
                let Prefix::Name(token) = var.prefix() else {
                    return Alias::None;
                };
                let Some(name) = name_of(token) else {
                    return Alias::None;
                };
                if self.lookup(name).is_some() {
                    return Alias::None;
                }
                match (name, &*suffixes) {
                    ("redis", [Suffix::Index(Index::Dot { name: field, .. })])
                        if matches!(name_of(field), Some("call" | "pcall")) =>
                    {
                        Alias::RedisCall
                    }
                    (name, [Suffix::Index(index)]) if name == self.argv => {
                        literal_index(index).map_or(Alias::None, Alias::Argv)
                    }
                    _ => Alias::None,
                }
            }
            Expression::Parentheses { expression, .. } => self.alias_of(expression),
            _ => Alias::None,
        }
    }

    /// `ARGV[n]` (or a local holding it): `Some(n)`.
    fn argv_index(&self, expr: &Expression) -> Option<usize> {
        match self.alias_of(expr) {
            Alias::Argv(n) => Some(n),
            _ => None,
        }
    }

    /// An expression whose truth is what matters (a condition).
    fn condition(&mut self, expr: &Expression) {
        match expr {
            Expression::BinaryOperator {
                lhs,
                binop: BinOp::And(_) | BinOp::Or(_),
                rhs,
            } => {
                self.condition(lhs);
                self.condition(rhs);
            }
            Expression::UnaryOperator {
                unop: UnOp::Not(_),
                expression,
            } => self.condition(expression),
            Expression::Parentheses { expression, .. } => self.condition(expression),
            _ => {
                if let Some(index) = self.argv_index(expr)
                    && let Some(at) = first_token(expr)
                {
                    self.facts.arg_uses.push(ArgUse {
                        index,
                        test: ArgTest::Truth,
                        pos: at,
                    });
                }
                self.guarded(expr);
            }
        }
    }

    /// The `ARGV` indexes whose absence alone makes `cond` true: `not ARGV[n]`,
    /// `ARGV[n] == nil`, either side of an `or`.
    fn absent_makes_true(&self, cond: &Expression, out: &mut Vec<usize>) {
        match cond {
            Expression::Parentheses { expression, .. } => self.absent_makes_true(expression, out),
            Expression::UnaryOperator {
                unop: UnOp::Not(_),
                expression,
            } => self.absent_makes_false(expression, out),
            Expression::BinaryOperator { lhs, binop, rhs } => match binop {
                BinOp::Or(_) => {
                    self.absent_makes_true(lhs, out);
                    self.absent_makes_true(rhs, out);
                }
                BinOp::TwoEqual(_) => out.extend(self.compared_with_nil(lhs, rhs)),
                _ => {}
            },
            _ => {}
        }
    }

    /// The `ARGV` indexes whose absence alone makes `cond` false: `ARGV[n]`,
    /// `ARGV[n] ~= nil`, either side of an `and`.
    fn absent_makes_false(&self, cond: &Expression, out: &mut Vec<usize>) {
        match cond {
            Expression::Parentheses { expression, .. } => self.absent_makes_false(expression, out),
            Expression::UnaryOperator {
                unop: UnOp::Not(_),
                expression,
            } => self.absent_makes_true(expression, out),
            Expression::BinaryOperator { lhs, binop, rhs } => match binop {
                BinOp::And(_) => {
                    self.absent_makes_false(lhs, out);
                    self.absent_makes_false(rhs, out);
                }
                BinOp::TildeEqual(_) => out.extend(self.compared_with_nil(lhs, rhs)),
                _ => {}
            },
            _ => out.extend(self.argv_index(cond)),
        }
    }

    /// `ARGV[n]` compared with `nil`, either way round: `Some(n)`.
    fn compared_with_nil(&self, lhs: &Expression, rhs: &Expression) -> Option<usize> {
        [(lhs, rhs), (rhs, lhs)]
            .into_iter()
            .find_map(|(side, other)| {
                (literal_text(other).as_deref() == Some("nil"))
                    .then(|| self.argv_index(side))
                    .flatten()
            })
    }

    /// An expression tested for existence: a `global.field` there is only a test.
    fn guarded(&mut self, expr: &Expression) {
        let before = self.facts.globals.len();
        self.expr(expr);
        if let Expression::Var(Var::Expression(var)) = expr
            && var.suffixes().count() == 1
            && let Some(global) = self.facts.globals.get_mut(before)
        {
            global.guarded = true;
        }
    }

    fn expr(&mut self, expr: &Expression) {
        match expr {
            Expression::BinaryOperator { lhs, binop, rhs } => {
                if matches!(binop, BinOp::TwoEqual(_) | BinOp::TildeEqual(_)) {
                    for (side, other) in [(lhs, rhs), (rhs, lhs)] {
                        if let Some(index) = self.argv_index(side)
                            && let Some(literal) = literal_text(other)
                            && let Some(at) = first_token(side)
                        {
                            self.facts.arg_uses.push(ArgUse {
                                index,
                                test: ArgTest::Compared(literal),
                                pos: at,
                            });
                        }
                    }
                }
                if matches!(binop, BinOp::Or(_))
                    && let Some(index) = self.argv_index(lhs)
                    && let Some(at) = first_token(lhs)
                {
                    self.facts.arg_uses.push(ArgUse {
                        index,
                        test: ArgTest::Defaulted,
                        pos: at,
                    });
                }
                match binop {
                    BinOp::And(_) => self.condition(lhs),
                    BinOp::Or(_) => self.guarded(lhs),
                    _ => self.expr(lhs),
                }
                self.expr(rhs);
            }
            Expression::UnaryOperator { unop, expression } => {
                if matches!(unop, UnOp::Not(_)) {
                    self.condition(expression);
                } else {
                    self.expr(expression);
                }
            }
            Expression::Parentheses { expression, .. } => self.expr(expression),
            Expression::Function(function) => self.function(function.body(), false),
            Expression::FunctionCall(call) => {
                self.suffixed(call.prefix(), call.suffixes().collect());
            }
            Expression::TableConstructor(table) => self.table(table),
            Expression::String(token) => self.string(token),
            Expression::Var(Var::Name(token)) => self.name_read(token, None),
            Expression::Var(Var::Expression(var)) => {
                self.suffixed(var.prefix(), var.suffixes().collect());
            }
            _ => {}
        }
    }

    fn table(&mut self, table: &ast::TableConstructor) {
        for field in table.fields() {
            match field {
                Field::ExpressionKey { key, value, .. } => {
                    self.expr(key);
                    self.expr(value);
                }
                Field::NameKey { value, .. } => self.expr(value),
                Field::NoKey(value) => self.expr(value),
                _ => {}
            }
        }
    }

    fn name_read(&mut self, token: &TokenReference, field: Option<(String, Pos)>) {
        if let Some(name) = name_of(token)
            && self.lookup(name).is_none()
        {
            self.facts.globals.push(GlobalUse {
                name: name.to_owned(),
                pos: pos(token),
                field,
                kind: UseKind::Read,
                guarded: false,
            });
        }
    }

    /// `prefix` followed by indexes and calls: `redis.call('GET', k)`, `t.x[1]:m()`.
    fn suffixed(&mut self, prefix: &Prefix, suffixes: Vec<&Suffix>) {
        match prefix {
            Prefix::Name(token) => {
                let field = match suffixes.first() {
                    Some(Suffix::Index(Index::Dot { name, .. })) => {
                        name_of(name).map(|f| (f.to_owned(), pos(name)))
                    }
                    _ => None,
                };
                self.name_read(token, field.clone());
                // A Redis command call: `redis.call(..)`, `redis.pcall(..)`, or an alias.
                let name = name_of(token).unwrap_or_default();
                let args = match (self.lookup(name), &*suffixes) {
                    (
                        None,
                        [
                            Suffix::Index(Index::Dot { name: f, .. }),
                            Suffix::Call(Call::AnonymousCall(args)),
                            ..,
                        ],
                    ) if name == "redis" && matches!(name_of(f), Some("call" | "pcall")) => {
                        Some(args)
                    }
                    (Some(Alias::RedisCall), [Suffix::Call(Call::AnonymousCall(args)), ..]) => {
                        Some(args)
                    }
                    _ => None,
                };
                if let Some(args) = args {
                    self.redis_call(args);
                }
            }
            Prefix::Expression(expr) => self.expr(expr),
            _ => {}
        }
        for suffix in suffixes {
            match suffix {
                Suffix::Index(Index::Brackets { expression, .. }) => self.expr(expression),
                Suffix::Call(Call::AnonymousCall(args)) => self.args(args),
                Suffix::Call(Call::MethodCall(method)) => self.args(method.args()),
                _ => {}
            }
        }
    }

    fn args(&mut self, args: &FunctionArgs) {
        match args {
            FunctionArgs::Parentheses { arguments, .. } => {
                for arg in arguments {
                    self.expr(arg);
                }
            }
            FunctionArgs::TableConstructor(table) => self.table(table),
            FunctionArgs::String(token) => self.string(token),
            _ => {}
        }
    }

    fn string(&mut self, token: &TokenReference) {
        if let TokenType::StringLiteral {
            literal,
            quote_type,
            ..
        } = token.token_type()
            && *quote_type != StringLiteralQuoteType::Brackets
            && literal.contains('\\')
        {
            self.facts.escaped.push(Escaped {
                text: literal.to_string(),
                pos: pos(token),
            });
        }
    }

    fn redis_call(&mut self, args: &FunctionArgs) {
        let arguments: Vec<&Expression> = match args {
            FunctionArgs::Parentheses { arguments, .. } => arguments.iter().collect(),
            _ => return,
        };
        let literal = |e: Option<&&Expression>| match e {
            Some(Expression::String(token)) => string_value(token).map(|s| (s, pos(token))),
            _ => None,
        };
        let open = arguments.last().is_some_and(|e| {
            matches!(e, Expression::FunctionCall(_))
                || matches!(e, Expression::Symbol(t) if t.to_string().trim() == "...")
        });
        self.facts.calls.push(RedisCall {
            command: literal(arguments.first()),
            second: literal(arguments.get(1)).map(|(s, _)| s.to_lowercase()),
            words: arguments.len() - usize::from(open),
            open,
        });
    }
}

/// `[n]` with a literal integer.
fn literal_index(index: &Index) -> Option<usize> {
    match index {
        Index::Brackets { expression, .. } => match &**expression {
            Expression::Number(token) => token.to_string().trim().parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

/// A plain call `name(args..)` or `a.b(args..)`: its name and its arguments.
fn called<'a>(
    prefix: &'a Prefix,
    suffixes: Vec<&'a Suffix>,
) -> Option<(&'a str, Vec<&'a Expression>)> {
    let Prefix::Name(first) = prefix else {
        return None;
    };
    let (name, args) = match &*suffixes {
        [Suffix::Call(Call::AnonymousCall(args))] => (name_of(first)?, args),
        [
            Suffix::Index(Index::Dot { name, .. }),
            Suffix::Call(Call::AnonymousCall(args)),
        ] if name_of(first) == Some("redis") => (name_of(name)?, args),
        _ => return None,
    };
    let args = match &**args {
        FunctionArgs::Parentheses { arguments, .. } => arguments.iter().collect(),
        _ => Vec::new(),
    };
    Some((name, args))
}

/// A block that ends by raising an error: `error(..)`, `return redis.error_reply(..)`,
/// `return error(..)`, `return {err = ..}`.
fn raises(block: &Block) -> bool {
    let is_error_call = |expr: &Expression| match expr {
        Expression::FunctionCall(call) => matches!(
            called(call.prefix(), call.suffixes().collect()),
            Some(("error" | "error_reply", _))
        ),
        Expression::TableConstructor(table) => table.fields().iter().any(
            |field| matches!(field, Field::NameKey { key, .. } if name_of(key) == Some("err")),
        ),
        _ => false,
    };
    match block.last_stmt() {
        Some(LastStmt::Return(ret)) => ret.returns().iter().next().is_some_and(is_error_call),
        Some(_) => false,
        None => matches!(
            block.stmts().last(),
            Some(Stmt::FunctionCall(call))
                if matches!(called(call.prefix(), call.suffixes().collect()), Some(("error", _)))
        ),
    }
}

/// A literal string (its value) or `true`/`false`/`nil`/a number (as written).
fn literal_text(expr: &Expression) -> Option<String> {
    match expr {
        Expression::String(token) => string_value(token).map(|s| format!("{s:?}")),
        Expression::Symbol(token) | Expression::Number(token) => Some(token.token().to_string()),
        Expression::Parentheses { expression, .. } => literal_text(expression),
        _ => None,
    }
}

/// The text of a string literal without its quotes (escapes left as written).
pub(crate) fn string_value(token: &TokenReference) -> Option<String> {
    match token.token_type() {
        TokenType::StringLiteral { literal, .. } => Some(literal.to_string()),
        _ => None,
    }
}

/// Where an expression starts.
fn first_token(expr: &Expression) -> Option<Pos> {
    use full_moon::node::Node;
    expr.start_position().map(|p| Pos {
        line: p.line(),
        col: p.character(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(code: &str) -> Facts {
        let ast = full_moon::parse_fallible(code, full_moon::LuaVersion::lua51());
        assert!(ast.errors().is_empty(), "{:?}", ast.errors());
        analyse(ast.ast().nodes())
    }

    fn globals(code: &str) -> Vec<String> {
        facts(code).globals.into_iter().map(|g| g.name).collect()
    }

    #[test]
    fn locals_parameters_loops_and_upvalues_are_not_globals() {
        let code = "local a, b = 1\nlocal function f(x, y) return a + x + y + f end\n\
                    for i = 1, 2 do local _ = i end\nfor k, v in pairs({}) do local _ = k .. v end\n\
                    local function g() return function() return b end end\n\
                    repeat local done = true until done\nreturn g";
        assert_eq!(globals(code), vec!["pairs"]);
    }

    #[test]
    fn scopes_end() {
        assert_eq!(globals("do local x = 1 end\nreturn x"), vec!["x"]);
        assert_eq!(globals("for i = 1, 2 do end\nreturn i"), vec!["i"]);
        // `local x = x` reads the outer (global) x.
        assert_eq!(globals("local x = x\nreturn x"), vec!["x"]);
    }

    #[test]
    fn the_implicit_arg_of_vararg_functions() {
        assert!(globals("local function f(...) return arg.n end\nreturn f()").is_empty());
        assert_eq!(
            globals("local function f(a) return arg end\nreturn f()"),
            vec!["arg"]
        );
        assert_eq!(globals("return arg"), vec!["arg"]);
    }

    #[test]
    fn writes_and_field_writes() {
        let f = facts(
            "x = 1\nfunction helper() end\nfunction table.x() end\nlocal t = {}\nfunction t.y() end\nt.z = 1\nstring.w = 2",
        );
        let kinds: Vec<(String, UseKind)> =
            f.globals.into_iter().map(|g| (g.name, g.kind)).collect();
        assert_eq!(
            kinds,
            vec![
                ("x".into(), UseKind::Write),
                ("helper".into(), UseKind::Define),
                ("table".into(), UseKind::FieldWrite),
                ("string".into(), UseKind::FieldWrite),
            ]
        );
    }

    #[test]
    fn fields_tested_for_existence_are_guarded() {
        let f = facts(
            "local u = (table.unpack or unpack)\nif redis.REDIS_VERSION then end\n\
             local x = table.unpack(KEYS)\nlocal y = table.unpack and table.unpack.x",
        );
        let guarded: Vec<(usize, bool)> = f
            .globals
            .iter()
            .filter(|g| g.field.is_some())
            .map(|g| (g.pos.line, g.guarded))
            .collect();
        assert_eq!(
            guarded,
            vec![(1, true), (2, true), (3, false), (4, true), (4, false)]
        );
    }

    #[test]
    fn redis_calls_direct_and_aliased() {
        let f = facts(
            "local rcall = redis.call\nrcall('SET', KEYS[1], 'v')\nredis.pcall('GET', KEYS[1])\n\
             redis.call('DEL', unpack(KEYS))\nlocal function h(redis) return redis.call('X') end",
        );
        let calls: Vec<(String, usize, bool)> = f
            .calls
            .iter()
            .map(|c| (c.command.clone().unwrap().0, c.words, c.open))
            .collect();
        assert_eq!(
            calls,
            vec![
                ("SET".into(), 3, false),
                ("GET".into(), 2, false),
                ("DEL".into(), 1, true)
            ]
        );
    }

    #[test]
    fn chunk_returns_only() {
        let f =
            facts("local function f() return 1, 2 end\nif f() then return 1, 2 end\nreturn f()");
        assert_eq!(f.returns.len(), 1);
        assert_eq!(f.returns[0].second, Pos { line: 2, col: 23 });
    }

    #[test]
    fn argv_truth_and_comparisons_also_through_locals() {
        let f = facts(
            "local flag = ARGV[2]\nif flag then end\nif ARGV[1] == 'true' then end\n\
             local x = not ARGV[3]\nif tonumber(ARGV[4]) then end\nflag = 1\nif flag then end",
        );
        let uses: Vec<(usize, ArgTest)> =
            f.arg_uses.into_iter().map(|u| (u.index, u.test)).collect();
        assert_eq!(
            uses,
            vec![
                (2, ArgTest::Truth),
                (1, ArgTest::Compared("\"true\"".into())),
                (3, ArgTest::Truth),
            ]
        );
    }
}
