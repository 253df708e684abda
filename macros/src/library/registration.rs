//! Finding every `redis.register_function` (or Valkey's `server.register_function`) of a
//! library: its name (literal or computed), its callback and its flags, and the functions
//! the file defines by name (callbacks passed by name).

use full_moon::ast::{
    self, Call, Expression, Field, FunctionArgs, FunctionBody, Index, Prefix, Suffix, Var,
};
use full_moon::node::Node;
use full_moon::tokenizer::{TokenReference, TokenType};
use full_moon::visitors::Visitor;

/// The name a function is registered under.
pub(super) enum Name {
    /// A string literal: the name, its line and column.
    Literal(String, usize, usize),
    /// Anything else: the expression as written, its line.
    Computed(String, usize),
}

/// The callback of a registration.
pub(super) enum Callback {
    /// An inline function, and its first line.
    Body(Box<FunctionBody>, usize),
    /// A function passed by name.
    Name(String),
    Other,
}

/// One `redis.register_function` call.
pub(super) struct Registration {
    pub(super) name: Name,
    pub(super) callback: Callback,
    /// `flags = {..}` of the table form: each flag, its line and column.
    pub(super) flags: Vec<(String, usize, usize)>,
    /// Line of the `redis` token.
    pub(super) line: usize,
}

/// A function defined by name: its name, body and first line.
pub(super) type Defined = (String, Box<FunctionBody>, usize);

/// Walks the parsed library.
#[derive(Default)]
pub(super) struct Finder {
    pub(super) registrations: Vec<Registration>,
    /// Functions defined by name: `local function f`, `function f`, `local f = function`.
    pub(super) defined: Vec<Defined>,
    /// Byte ranges (in the parsed code) of `redis.register_function` (or Valkey's
    /// `server.register_function`).
    pub(super) sites: Vec<(usize, usize)>,
}

fn is_name(token: &TokenReference, name: &str) -> bool {
    matches!(token.token_type(), TokenType::Identifier { identifier } if identifier.as_str() == name)
}

fn line_col(token: &TokenReference) -> (usize, usize) {
    let pos = token.token().start_position();
    (pos.line(), pos.character())
}

/// The literal text of a string token, when it holds no escapes.
fn string_literal(token: &TokenReference) -> Option<String> {
    match token.token_type() {
        TokenType::StringLiteral { literal, .. } if !literal.contains('\\') => {
            Some(literal.to_string())
        }
        _ => None,
    }
}

fn first_line(node: &impl Node) -> usize {
    node.start_position().map_or(1, |p| p.line())
}

impl Finder {
    /// `redis.register_function` (or Valkey's alias `server.register_function`) as the
    /// start of `prefix` + `suffixes`: its byte range.
    fn site<'a>(
        &mut self,
        prefix: &'a Prefix,
        suffixes: &mut impl Iterator<Item = &'a Suffix>,
    ) -> Option<&'a TokenReference> {
        let Prefix::Name(redis) = prefix else {
            return None;
        };
        if !is_name(redis, "redis") && !is_name(redis, "server") {
            return None;
        }
        let Some(Suffix::Index(Index::Dot { name, .. })) = suffixes.next() else {
            return None;
        };
        if !is_name(name, "register_function") {
            return None;
        }
        self.sites.push((
            redis.token().start_position().bytes(),
            name.token().end_position().bytes(),
        ));
        Some(redis)
    }

    fn registration(&mut self, redis: &TokenReference, args: &FunctionArgs) {
        let (line, col) = line_col(redis);
        let computed =
            |e: &dyn std::fmt::Display, line| Name::Computed(e.to_string().trim().to_owned(), line);
        let callback_of = |e: &Expression| match e {
            Expression::Function(f) => Callback::Body(Box::new(f.body().clone()), first_line(&**f)),
            Expression::Var(Var::Name(name)) => Callback::Name(name.token().to_string()),
            _ => Callback::Other,
        };
        let (name, callback, flags) = match args {
            FunctionArgs::Parentheses { arguments, .. } => {
                let mut it = arguments.iter();
                match it.next() {
                    Some(Expression::String(s)) => {
                        let (l, c) = line_col(s);
                        let name = match string_literal(s) {
                            Some(n) => Name::Literal(n, l, c),
                            None => computed(s, l),
                        };
                        (
                            name,
                            it.next().map_or(Callback::Other, callback_of),
                            Vec::new(),
                        )
                    }
                    Some(Expression::TableConstructor(t)) => self.table(t, line),
                    Some(other) => (
                        computed(other, first_line(other)),
                        it.next().map_or(Callback::Other, callback_of),
                        Vec::new(),
                    ),
                    None => return,
                }
            }
            FunctionArgs::TableConstructor(t) => self.table(t, line),
            FunctionArgs::String(s) => (computed(s, line), Callback::Other, Vec::new()),
            _ => return,
        };
        let _ = col;
        self.registrations.push(Registration {
            name,
            callback,
            flags,
            line,
        });
    }

    /// The table form: `{function_name = .., callback = .., flags = {..}}`.
    fn table(
        &mut self,
        table: &ast::TableConstructor,
        line: usize,
    ) -> (Name, Callback, Vec<(String, usize, usize)>) {
        let mut name = Name::Computed("function_name missing".into(), line);
        let mut callback = Callback::Other;
        let mut flags = Vec::new();
        for field in table.fields() {
            let Field::NameKey { key, value, .. } = field else {
                continue;
            };
            let key = key.token().to_string();
            match (key.as_str(), &**value) {
                ("function_name", Expression::String(s)) => {
                    let (l, c) = line_col(s);
                    name = match string_literal(s) {
                        Some(n) => Name::Literal(n, l, c),
                        None => Name::Computed(s.to_string().trim().to_owned(), l),
                    };
                }
                ("function_name", other) => {
                    name = Name::Computed(other.to_string().trim().to_owned(), first_line(other));
                }
                ("callback", Expression::Function(f)) => {
                    callback = Callback::Body(Box::new(f.body().clone()), first_line(&**f));
                }
                ("callback", Expression::Var(Var::Name(n))) => {
                    callback = Callback::Name(n.token().to_string());
                }
                ("flags", Expression::TableConstructor(t)) => {
                    for f in t.fields() {
                        if let Field::NoKey(Expression::String(s)) = f
                            && let Some(flag) = string_literal(s)
                        {
                            let (l, c) = line_col(s);
                            flags.push((flag, l, c));
                        }
                    }
                }
                _ => {}
            }
        }
        (name, callback, flags)
    }
}

impl Visitor for Finder {
    fn visit_function_call(&mut self, call: &ast::FunctionCall) {
        let mut suffixes = call.suffixes();
        if let Some(redis) = self.site(call.prefix(), &mut suffixes)
            && let Some(Suffix::Call(Call::AnonymousCall(args))) = suffixes.next()
        {
            let redis = redis.clone();
            self.registration(&redis, args);
        }
    }

    fn visit_var_expression(&mut self, var: &ast::VarExpression) {
        // `redis.register_function` used as a value: `local reg = redis.register_function`.
        let mut suffixes = var.suffixes();
        self.site(var.prefix(), &mut suffixes);
    }

    fn visit_local_function(&mut self, f: &ast::LocalFunction) {
        let line = first_line(f);
        self.defined.push((
            f.name().token().to_string(),
            Box::new(f.body().clone()),
            line,
        ));
    }

    fn visit_function_declaration(&mut self, f: &ast::FunctionDeclaration) {
        let names: Vec<_> = f.name().names().iter().collect();
        if let [name] = names.as_slice()
            && f.name().method_name().is_none()
        {
            let line = first_line(f);
            self.defined
                .push((name.token().to_string(), Box::new(f.body().clone()), line));
        }
    }

    fn visit_local_assignment(&mut self, assignment: &ast::LocalAssignment) {
        let line = first_line(assignment);
        for (name, value) in assignment
            .names()
            .iter()
            .zip(assignment.expressions().iter())
        {
            if let Expression::Function(f) = value {
                self.defined
                    .push((name.token().to_string(), Box::new(f.body().clone()), line));
            }
        }
    }
}
