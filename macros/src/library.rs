//! Reading a Redis Functions library for `include_library!`: the `#!lua name=` line, every
//! `redis.register_function` (positional and table form, with `flags`), each function's
//! parameters (a `---@key`/`---@arg`/`---@return` block above the registration or the
//! callback, else inferred from how the callback uses its two parameters), and the body
//! sent by `FUNCTION LOAD` with versioned names.

use full_moon::ast::{
    self, Call, Expression, Field, FunctionArgs, FunctionBody, Index, Parameter, Prefix, Suffix,
    Var,
};
use full_moon::node::Node;
use full_moon::tokenizer::{TokenReference, TokenType};
use full_moon::visitors::Visitor;

use crate::header::{self, Header};
use crate::lua::{self, Usage};
use crate::names;
use crate::problem::Problem;
use crate::shebang::Shebang;

/// Function flags Redis 7.0 and Valkey 8.1 accept in `flags={..}` (a test loads a library
/// registering a function with every one of them on each server).
pub(crate) const FLAGS: &[&str] = &[
    "no-writes",
    "allow-oom",
    "allow-stale",
    "no-cluster",
    "allow-cross-slot-keys",
];

/// The name of the local helper that replaces `redis.register_function` in the loaded
/// body of a versioned library.
const HELPER: &str = "__evalsha_register";

/// What the library file says.
#[derive(Default)]
pub(crate) struct Library {
    /// The `name=` of the `#!lua` line.
    pub(crate) name: Option<String>,
    /// Free text of the file's header, the type's docs.
    pub(crate) doc: Vec<String>,
    /// Functions registered with a literal name, in file order.
    pub(crate) functions: Vec<Function>,
    /// Registrations whose name is computed: `(line, the name expression as written)`.
    pub(crate) computed: Vec<(usize, String)>,
    /// Byte ranges of each `redis.register_function` in the file.
    sites: Vec<(usize, usize)>,
}

/// One function registered with a literal name.
pub(crate) struct Function {
    /// As registered: `formatTS`.
    pub(crate) name: String,
    /// Its method: `format_ts`.
    pub(crate) method: String,
    /// Parameters, return type and docs; `present` when a tagged block declared them.
    pub(crate) header: Header,
    /// How the callback uses its keys and args parameters (the inferred parameters).
    pub(crate) usage: Usage,
    /// Where the name is written.
    line: usize,
    col: usize,
}

/// Reads `text`. Problems are collected; what did parse is returned.
pub(crate) fn analyse(text: &str) -> (Library, Vec<Problem>) {
    let mut library = Library::default();
    let mut problems = Vec::new();
    name_line(text, &mut library, &mut problems);
    let (top, _) = header::parse(text);

    let ast = match lua::parse(text) {
        Ok(ast) => ast,
        Err(syntax) => {
            problems.extend(syntax);
            library.doc = top.doc;
            return (library, problems);
        }
    };
    // The checks beyond syntax, in library mode: `KEYS`/`ARGV` are no globals there.
    problems.extend(crate::check::run(
        &ast,
        text,
        &top,
        crate::check::Mode::Library,
    ));
    library.doc = top.doc;
    // The parse blanked the `#!lua` line: its positions are shifted by its length.
    let shift = Shebang::read(text).map_or(0, |line| line.end);
    let mut finder = Finder::default();
    finder.visit_ast(&ast);
    library.sites = finder
        .sites
        .iter()
        .map(|(a, b)| (a + shift, b + shift))
        .collect();

    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    for reg in finder.registrations {
        let (name, line, col) = match reg.name {
            Name::Literal(name, line, col) => (name, line, col),
            Name::Computed(expr, line) => {
                library.computed.push((line, expr));
                continue;
            }
        };
        for (flag, line, col) in &reg.flags {
            if !FLAGS.contains(&flag.as_str()) {
                problems.push(Problem {
                    line: *line,
                    col: *col,
                    message: format!(
                        "unknown function flag `{flag}`; Redis knows {}",
                        FLAGS.join(", ")
                    ),
                });
            }
        }
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            problems.push(Problem {
                line,
                col,
                message: format!(
                    "function name `{name}`: Redis function names can only contain letters, \
                     numbers, or underscores(_) and must be at least one character long"
                ),
            });
            continue;
        }
        // The callback: an inline function, or a named one defined in the file.
        let callback = match &reg.callback {
            Callback::Body(body, line) => Some((body, *line)),
            Callback::Name(callee) => finder
                .defined
                .iter()
                .rev()
                .find(|(n, _, _)| n == callee)
                .map(|(_, body, line)| (body, *line)),
            Callback::Other => None,
        };
        let (keys_name, args_name) = callback
            .map(|(body, _)| param_names(body))
            .unwrap_or_default();
        let usage = callback
            .map(|(body, _)| lua::usage_in(body.block(), &keys_name, &args_name))
            .unwrap_or_default();
        // The tagged block above the registration, else above the callback's definition.
        let block = block_above(&lines, reg.line)
            .filter(|b| b.tagged)
            .or_else(|| callback.and_then(|(_, line)| block_above(&lines, line)))
            .or_else(|| block_above(&lines, reg.line));
        let mut header = Header::default();
        if let Some(block) = block {
            let (parsed, found) = header::parse(&block.text);
            header = parsed;
            header.present = block.tagged;
            problems.extend(found.into_iter().map(|p| Problem {
                line: block.first + p.line - 1,
                col: p.col + block.indents.get(p.line - 1).copied().unwrap_or(0),
                message: p.message,
            }));
            if block.tagged {
                problems.extend(lua::check(&header, &usage));
            }
        }
        header.flags = reg.flags.iter().map(|(f, _, _)| f.clone()).collect();
        library.functions.push(Function {
            method: names::snake(&name),
            name,
            header,
            usage,
            line,
            col,
        });
    }
    method_names(&mut library, &mut problems);
    (library, problems)
}

/// The `#!lua name=NAME` line: required, with a name Redis accepts. Its engine and any
/// other option are the `shebang` check's (one mistake, one error).
fn name_line(text: &str, library: &mut Library, problems: &mut Vec<Problem>) {
    let Some(line) = Shebang::read(text) else {
        problems.push(Problem {
            line: 1,
            col: 1,
            message: "a library starts with a `#!lua name=NAME` line, which FUNCTION LOAD \
                      requires (and which names the generated type)"
                .into(),
        });
        return;
    };
    let mut named = false;
    for &(word, col) in &line.options {
        let Some(name) = word.strip_prefix("name=") else {
            continue;
        };
        named = true;
        if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            library.name = Some(name.to_owned());
        } else {
            problems.push(Problem {
                line: 1,
                col: col + 5,
                message: format!(
                    "library name `{name}`: Redis library names can only contain letters, \
                     numbers, or underscores(_) and must be at least one character long"
                ),
            });
        }
    }
    if !named {
        problems.push(Problem {
            line: 1,
            col: 1,
            message: "the `#!lua` line of a library needs `name=NAME`, which FUNCTION LOAD \
                      requires (and which names the generated type)"
                .into(),
        });
    }
}

/// Every method name a function gets must be a Rust identifier and unique on the type. A
/// function whose methods cannot be is reported and left out (its library still loads).
fn method_names(library: &mut Library, problems: &mut Vec<Problem>) {
    let mut seen: Vec<(String, &str)> = vec![("library".into(), "(the type's own)")];
    let mut dropped = Vec::new();
    for (index, f) in library.functions.iter().enumerate() {
        let base = &f.method;
        let message = if base.starts_with(|c: char| c.is_ascii_digit()) {
            Some(format!(
                "function `{}` starts with a digit, so it cannot name a Rust method",
                f.name
            ))
        } else if ["self", "Self", "super", "crate", "_"].contains(&base.as_str()) {
            Some(format!("function `{}` cannot name a Rust method", f.name))
        } else {
            [
                base.clone(),
                format!("{base}_async"),
                format!("{base}_call"),
            ]
            .into_iter()
            .find_map(|m| {
                let clash = seen.iter().find(|(s, _)| *s == m).map(|(_, by)| *by);
                if clash.is_none() {
                    seen.push((m.clone(), &f.name));
                }
                clash.map(|by| {
                    format!(
                        "function `{}` would get the method `{m}`, which `{by}` already has",
                        f.name
                    )
                })
            })
        };
        if let Some(message) = message {
            problems.push(Problem {
                line: f.line,
                col: f.col,
                message,
            });
            dropped.push(index);
        }
    }
    let mut index = 0;
    library.functions.retain(|_| {
        index += 1;
        !dropped.contains(&(index - 1))
    });
}

/// The names of a callback's first two parameters (`keys, args`, `KEYS, ARGV`, ...).
fn param_names(body: &FunctionBody) -> (String, String) {
    let mut names = body.parameters().iter().map(|p| match p {
        Parameter::Name(name) => name.token().to_string(),
        _ => String::new(),
    });
    (
        names.next().unwrap_or_default(),
        names.next().unwrap_or_default(),
    )
}

/// A run of `---` lines right above a line.
struct Block {
    /// The block's lines, left-trimmed, joined.
    text: String,
    /// 1-based line of its first line.
    first: usize,
    /// Leading whitespace of each line, to map columns back.
    indents: Vec<usize>,
    /// It holds an `@key`, `@arg` or `@return` tag: it declares the parameters.
    tagged: bool,
}

/// The `---` lines right above 1-based `line`, if any.
fn block_above(lines: &[&str], line: usize) -> Option<Block> {
    let mut first = line;
    while first > 1 && lines[first - 2].trim_start().starts_with("---") {
        first -= 1;
    }
    if first == line {
        return None;
    }
    let block = &lines[first - 1..line - 1];
    let tagged = block.iter().any(|l| {
        let body = l.trim_start().trim_start_matches('-').trim_start();
        ["@key", "@arg", "@return"].iter().any(|t| {
            body.strip_prefix(t)
                .is_some_and(|r| r.is_empty() || r.starts_with(' '))
        })
    });
    Some(Block {
        text: block
            .iter()
            .map(|l| l.trim_start())
            .collect::<Vec<_>>()
            .join("\n"),
        first,
        indents: block
            .iter()
            .map(|l| l.len() - l.trim_start().len())
            .collect(),
        tagged,
    })
}

/// The body `FUNCTION LOAD` is sent for a versioned library: `name=` becomes
/// `loaded_name`, and each `redis.register_function` a local helper (defined at the start
/// of line 2) that appends `suffix` to the function's name. Every line stays where it is,
/// so the server's `user_function:N` is line N of the file.
pub(crate) fn loaded_body(
    text: &str,
    library: &Library,
    loaded_name: &str,
    suffix: &str,
) -> String {
    let first_end = text.find('\n').unwrap_or(text.len());
    let cr = if text[..first_end].ends_with('\r') {
        "\r"
    } else {
        ""
    };
    let mut out = format!("#!lua name={loaded_name}{cr}");
    let mut rest = &text[first_end..];
    if !library.sites.is_empty() {
        // `b == nil`: the table form. The load-time environment has no `type`.
        let helper = format!(
            "local {HELPER} = function(a, b) if b == nil then a.function_name = \
             a.function_name .. '{suffix}' return redis.register_function(a) end \
             return redis.register_function(a .. '{suffix}', b) end; "
        );
        match rest.strip_prefix('\n') {
            Some(after) => {
                out.push('\n');
                out.push_str(&helper);
                rest = after;
            }
            None => {
                out.push('\n');
                out.push_str(&helper);
            }
        }
    }
    // Rewrite the sites, which all lie after the first line.
    let base = text.len() - rest.len();
    let mut at = 0;
    for &(start, end) in &library.sites {
        let (start, end) = (start - base, end - base);
        out.push_str(&rest[at..start]);
        out.push_str(HELPER);
        // Keep line breaks inside `redis .\n register_function`.
        out.extend(rest[start..end].chars().filter(|&c| c == '\n'));
        at = end;
    }
    out.push_str(&rest[at..]);
    out
}

/// The body `FUNCTION LOAD` is sent for a library with `versioned = false`: the file as
/// it is, but for Valkey's `server.register_function`, which becomes
/// `redis.register_function` (both servers have that one), so that a library whose only
/// Valkey-ism is its registrations loads on Redis too.
pub(crate) fn plain_body(text: &str, library: &Library) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for &(start, _) in &library.sites {
        if let Some(rest) = text[start..].strip_prefix("server") {
            out.push_str(&text[at..start]);
            out.push_str("redis");
            at = text.len() - rest.len();
        }
    }
    out.push_str(&text[at..]);
    out
}

enum Name {
    Literal(String, usize, usize),
    Computed(String, usize),
}

enum Callback {
    Body(Box<FunctionBody>, usize),
    Name(String),
    Other,
}

struct Registration {
    name: Name,
    callback: Callback,
    flags: Vec<(String, usize, usize)>,
    /// Line of the `redis` token.
    line: usize,
}

#[derive(Default)]
struct Finder {
    registrations: Vec<Registration>,
    /// Functions defined by name: `local function f`, `function f`, `local f = function`.
    defined: Vec<(String, Box<FunctionBody>, usize)>,
    /// Byte ranges (in the parsed code) of `redis.register_function` (or Valkey's
    /// `server.register_function`).
    sites: Vec<(usize, usize)>,
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

#[cfg(test)]
mod tests {
    use super::*;

    const QUEUE: &str = "#!lua name=queue\n\
        --- A job queue.\n\
        \n\
        ---@key queue\n\
        ---@arg job &str\n\
        ---@return i64\n\
        redis.register_function('push', function(keys, args)\n\
          return redis.call('RPUSH', keys[1], args[1])\n\
        end)\n\
        local function pop(KEYS, ARGV) return redis.call('LPOP', KEYS[1]) end\n\
        redis.register_function{function_name='popOne', callback=pop, flags={'no-writes'}}\n\
        local prefix = 'q'\n\
        redis.register_function(prefix .. 'len', function(k) return redis.call('LLEN', k[1]) end)\n";

    #[test]
    fn finds_functions_params_and_computed_names() {
        let (lib, problems) = analyse(QUEUE);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(lib.name.as_deref(), Some("queue"));
        assert_eq!(lib.doc, vec!["A job queue."]);
        let names: Vec<_> = lib
            .functions
            .iter()
            .map(|f| (&*f.name, &*f.method))
            .collect();
        assert_eq!(names, vec![("push", "push"), ("popOne", "pop_one")]);
        let push = &lib.functions[0].header;
        assert!(push.present, "{:?}", push.doc);
        assert_eq!(push.keys.len(), 1);
        assert_eq!(push.args.len(), 1);
        let pop = &lib.functions[1];
        assert!(!pop.header.present);
        assert_eq!(pop.usage.keys.max(), 1);
        assert!(pop.header.read_only());
        assert_eq!(lib.computed, vec![(13, "prefix .. 'len'".to_owned())]);
    }

    #[test]
    fn valkeys_server_register_function_is_a_registration() {
        let text = "#!lua name=x\n\
            server.register_function('a', function(keys) return keys[1] end)\n\
            server.register_function{function_name='b', callback=function() end, flags={'no-writes'}}\n\
            -- server.register_function in a comment stays\n";
        let (lib, problems) = analyse(text);
        assert!(problems.is_empty(), "{}", problems.len());
        let names: Vec<_> = lib.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        let plain = plain_body(text, &lib);
        assert_eq!(
            plain.matches("redis.register_function").count(),
            2,
            "{plain}"
        );
        assert!(plain.contains("-- server.register_function in a comment stays"));
        let versioned = loaded_body(text, &lib, "x_0123456789ab", "_0123456789ab");
        assert_eq!(versioned.matches("server.").count(), 1, "{versioned}");
    }

    #[test]
    fn loaded_body_keeps_lines() {
        let (lib, _) = analyse(QUEUE);
        let body = loaded_body(QUEUE, &lib, "queue_0123456789ab", "_0123456789ab");
        assert_eq!(body.lines().count(), QUEUE.lines().count());
        assert!(body.starts_with("#!lua name=queue_0123456789ab\nlocal __evalsha_register"));
        assert_eq!(body.matches("redis.register_function").count(), 2, "{body}");
        assert_eq!(body.matches("__evalsha_register").count(), 4, "{body}");
        for (a, b) in QUEUE.lines().zip(body.lines()).skip(2) {
            assert_eq!(
                a.replace("redis.register_function", HELPER),
                b,
                "lines keep their place"
            );
        }
    }

    #[test]
    fn problems() {
        let (_, p) = analyse("redis.register_function('a', function() end)\n");
        assert!(p[0].message.contains("`#!lua name=NAME`"), "{p:?}");
        // One mistake, one error: the `shebang` check's.
        let (_, p) = analyse("#!lua name=x flags=no-writes\n");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].message
                .starts_with("`flags=no-writes`: a library's `#!lua` line takes only `name=`"),
            "{p:?}"
        );
        let (_, p) = analyse(
            "#!lua name=x\nredis.register_function{function_name='a', callback=function() end, flags={'no-write'}}\n",
        );
        assert_eq!((p[0].line, p[0].col), (2, 76));
        assert!(
            p[0].message.contains("unknown function flag `no-write`"),
            "{p:?}"
        );
        let (_, p) =
            analyse("#!lua name=x\nredis.register_function('a', function() return KEYS[1] end)\n");
        assert!(p[0].message.contains("`KEYS` is not a global"), "{p:?}");
    }
}
