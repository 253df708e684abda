//! Target servers: the servers a crate's scripts must run on, said once in its own
//! `Cargo.toml`,
//!
//! ```toml
//! [package.metadata.evalsha]
//! servers = ["redis-8.0", "valkey-9.1"]
//! ```
//!
//! and what the checks answer for: with targets, exactly those environments (a global, a
//! command, an arity or a flag counts only if every target has it); without, every shipped
//! environment (a command or flag counts if any server has it, a global only if all do).
//!
//! The same table holds the crate's other setting, `error = "redis"`: the generated
//! `run`/`run_async`, and the `evalsha::Call` that `call(..)` returns, then give
//! `redis::RedisResult` (the `evalsha::Error` carried inside), so `?` works into a crate's
//! own error type that converts from `redis::RedisError`.
//!
//! Cargo does not rebuild a crate when only `[package.metadata]` changes, so every
//! expansion that read the manifest emits an `include_bytes!` of it ([`tokens`]): rustc
//! then lists `Cargo.toml` among the crate's inputs, and editing the `servers` line
//! rebuilds the crates whose scripts it affects.
//!
//! The manifest is read with the small reader below rather than a TOML crate: it needs one
//! key, and `toml` (with `winnow`) would be most of `evalsha-macros`'s own build time. It
//! reads the forms cargo accepts for that key: the `[package.metadata.evalsha]` table,
//! dotted keys (`evalsha.servers = [..]` under `[package.metadata]`), an inline table,
//! arrays over several lines with comments and a trailing comma, either kind of string,
//! and it skips everything else (multi-line strings included) without misreading it.

use std::path::PathBuf;

use proc_macro2::{Span, TokenStream};
use quote::quote;

use crate::diagnostic;
use crate::env::{self, Server};

/// The servers a crate's checks answer for.
pub(crate) struct Targets {
    /// The servers the checks consider: the crate's targets, else every shipped one.
    pub(crate) servers: Vec<&'static Server>,
    /// Whether [`Targets::servers`] are the crate's own targets (exact checks).
    pub(crate) exact: bool,
    /// The manifest read, absolute, for the rebuild trigger.
    manifest: Option<PathBuf>,
    /// What is wrong with the `servers` (or `error`) line, rendered
    /// `Cargo.toml:line:col: ...`.
    pub(crate) errors: Vec<String>,
    /// `error = "redis"`: the generated `run`/`run_async` return `redis::RedisResult`,
    /// the `evalsha::Error` carried inside (see `Error::into_redis_wrapped`).
    pub(crate) redis_errors: bool,
}

impl Targets {
    /// No targets: every shipped environment.
    pub(crate) fn all() -> Targets {
        Targets {
            servers: env::servers().iter().collect(),
            exact: false,
            manifest: None,
            errors: Vec::new(),
            redis_errors: false,
        }
    }

    /// The targets named in `manifest` (the text of a `Cargo.toml`).
    pub(crate) fn from_manifest(manifest: &str) -> Targets {
        let mut targets = Targets::all();
        match error_setting(manifest) {
            Ok(redis) => targets.redis_errors = redis,
            Err((line, col, message)) => targets.errors.push(render(manifest, line, col, &message)),
        }
        let names = match servers_line(manifest) {
            Ok(Some(names)) => names,
            Ok(None) => return targets,
            // A manifest cargo accepted that this reader cannot follow matters only if it
            // may set the line.
            Err(_) if !manifest.contains("servers") => return targets,
            Err((line, col, message)) => {
                targets.errors.push(render(manifest, line, col, &message));
                return targets;
            }
        };
        let known = env::servers();
        let mut chosen = Vec::new();
        for name in &names {
            match known.iter().find(|s| s.id == name.text) {
                Some(server) if !chosen.iter().any(|c: &&Server| c.id == server.id) => {
                    chosen.push(server)
                }
                Some(_) => {}
                None => {
                    let ids: Vec<&str> = known.iter().map(|s| s.id).collect();
                    targets.errors.push(render(
                        manifest,
                        name.line,
                        name.col,
                        &format!(
                            "unknown target server `{}` in `[package.metadata.evalsha] \
                             servers`; the known ones are {}",
                            name.text,
                            ids.join(", ")
                        ),
                    ));
                }
            }
        }
        if !chosen.is_empty() {
            targets.servers = chosen;
            targets.exact = true;
        }
        targets
    }
}

/// The targets of the crate being compiled: its `Cargo.toml` (in `CARGO_MANIFEST_DIR`),
/// read on every expansion (a long-lived process such as rust-analyzer's macro server sees
/// an edit at once).
pub(crate) fn read() -> Targets {
    let Some(dir) = std::env::var_os("CARGO_MANIFEST_DIR") else {
        return Targets::all();
    };
    let path = PathBuf::from(dir).join("Cargo.toml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Targets::all();
    };
    Targets {
        manifest: Some(path),
        ..Targets::from_manifest(&text)
    }
}

/// What an expansion adds for the crate's targets: the errors of its `servers` line at
/// `span` (the path literal), and the `include_bytes!` of `Cargo.toml` that makes cargo
/// rebuild the crate when the line changes.
pub(crate) fn tokens(krate: &TokenStream, span: Span) -> TokenStream {
    let targets = read();
    let errors = targets
        .errors
        .iter()
        .map(|message| syn::Error::new(span, message).to_compile_error());
    let trigger = targets.manifest.map(|path| {
        let path = path.to_string_lossy().into_owned();
        quote!(const _: &[u8] = #krate::__private::include_bytes!(#path);)
    });
    quote!(#(#errors)* #trigger)
}

/// `Cargo.toml:line:col: message` with the line and a caret, as every other error.
fn render(manifest: &str, line: usize, col: usize, message: &str) -> String {
    let source = manifest.lines().nth(line.saturating_sub(1));
    diagnostic::snippet("Cargo.toml", line, col, source, message)
}

/// One server name as written, with the position of its first character.
#[derive(Debug, PartialEq)]
struct Name {
    text: String,
    line: usize,
    col: usize,
}

/// The names of `package.metadata.evalsha.servers`; `None` when the manifest does not set
/// it; an error (line, col, message) when it is not an array of strings or the manifest
/// cannot be read that far.
fn servers_line(manifest: &str) -> Result<Option<Vec<Name>>, (usize, usize, String)> {
    match setting(manifest, "servers")? {
        Some((value, line, col)) => Ok(Some(names(value, line, col)?)),
        None => Ok(None),
    }
}

/// The value of `package.metadata.evalsha.KEY`, with the position of its key; `None` when
/// the manifest does not set it.
fn setting(manifest: &str, name: &str) -> Result<Option<(Value, usize, usize)>, Error> {
    let mut reader = Reader::new(manifest);
    let mut table: Vec<String> = Vec::new();
    let mut found = None;
    loop {
        reader.skip_blank(true);
        let Some(c) = reader.peek() else {
            return Ok(found);
        };
        if c == '[' {
            table = reader.header()?;
            continue;
        }
        let (line, col) = reader.at();
        let mut key = table.clone();
        key.extend(reader.key()?);
        reader.skip_blank(false);
        if reader.next() != Some('=') {
            return Err((line, col, "expected `=` after a key".to_owned()));
        }
        let value = reader.value()?;
        for (path, value) in flatten(key, value) {
            if path == ["package", "metadata", "evalsha", name] {
                found = Some((value, line, col));
            }
        }
    }
}

/// `key = value` with inline tables opened up: `evalsha = { servers = [..] }` is
/// `evalsha.servers = [..]`.
fn flatten(key: Vec<String>, value: Value) -> Vec<(Vec<String>, Value)> {
    match value {
        Value::Table(entries) => entries
            .into_iter()
            .flat_map(|(sub, value)| {
                let mut path = key.clone();
                path.extend(sub);
                flatten(path, value)
            })
            .collect(),
        value => vec![(key, value)],
    }
}

fn names(value: Value, line: usize, col: usize) -> Result<Vec<Name>, (usize, usize, String)> {
    let wrong = || {
        (
            line,
            col,
            "`[package.metadata.evalsha] servers` must be an array of server names, \
             e.g. `servers = [\"redis-8.0\", \"valkey-9.1\"]`"
                .to_owned(),
        )
    };
    let Value::Array(items) = value else {
        return Err(wrong());
    };
    if items.is_empty() {
        let ids: Vec<&str> = env::servers().iter().map(|s| s.id).collect();
        return Err((
            line,
            col,
            format!(
                "`[package.metadata.evalsha] servers` is empty: name the servers the scripts \
                 must run on, among {}, or remove the line to check against them all",
                ids.join(", ")
            ),
        ));
    }
    items
        .into_iter()
        .map(|item| match item {
            Value::String(name) => Ok(name),
            _ => Err(wrong()),
        })
        .collect()
}

/// `error = "redis"` (true) or `error = "evalsha"` (false, as when it is absent): what the
/// generated `run`/`run_async` return.
fn error_setting(manifest: &str) -> Result<bool, Error> {
    let wrong = |line, col| {
        (
            line,
            col,
            "`[package.metadata.evalsha] error` is `\"redis\"` (the generated `run` and \
             `run_async` return `redis::RedisResult`, so `?` works into any error type that \
             converts from `redis::RedisError`) or `\"evalsha\"` (the default: \
             `Result<T, evalsha::Error>`)"
                .to_owned(),
        )
    };
    match setting(manifest, "error") {
        Ok(None) => Ok(false),
        // A manifest this reader cannot follow matters only if it may set the line.
        Err(_) if !manifest.contains("error") => Ok(false),
        Err(err) => Err(err),
        Ok(Some((Value::String(name), ..))) if name.text == "redis" => Ok(true),
        Ok(Some((Value::String(name), ..))) if name.text == "evalsha" => Ok(false),
        Ok(Some((Value::String(name), ..))) => Err(wrong(name.line, name.col)),
        Ok(Some((_, line, col))) => Err(wrong(line, col)),
    }
}

/// A TOML value, as far as this reader needs to tell them apart.
enum Value {
    String(Name),
    Array(Vec<Value>),
    Table(Vec<(Vec<String>, Value)>),
    /// A number, a boolean, a date: skipped.
    Other,
}

/// A cursor over the manifest that knows TOML's strings, comments and brackets.
struct Reader<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
    col: usize,
}

type Error = (usize, usize, String);

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Self {
        Reader {
            chars: text.chars().peekable(),
            line: 1,
            col: 1,
        }
    }

    fn at(&self) -> (usize, usize) {
        (self.line, self.col)
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn error<T>(&self, message: &str) -> Result<T, Error> {
        Err((self.line, self.col, message.to_owned()))
    }

    /// Skips spaces and comments, and newlines too when `newlines`.
    fn skip_blank(&mut self, newlines: bool) {
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\r' => {
                    self.next();
                }
                '\n' if newlines => {
                    self.next();
                }
                '#' => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.next();
                    }
                }
                _ => return,
            }
        }
    }

    /// `[a.b]` or `[[a.b]]`: the table's key path.
    fn header(&mut self) -> Result<Vec<String>, Error> {
        self.next();
        let array = self.peek() == Some('[');
        if array {
            self.next();
        }
        self.skip_blank(false);
        let path = self.key()?;
        self.skip_blank(false);
        for _ in 0..(1 + usize::from(array)) {
            if self.next() != Some(']') {
                return self.error("expected `]` closing a table header");
            }
        }
        Ok(path)
    }

    /// A dotted key: `a`, `a.b`, `"a".'b'`.
    fn key(&mut self) -> Result<Vec<String>, Error> {
        let mut path = Vec::new();
        loop {
            self.skip_blank(false);
            let part = match self.peek() {
                Some('"') | Some('\'') => self.string()?.text,
                _ => {
                    let mut bare = String::new();
                    while let Some(c) = self
                        .peek()
                        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
                    {
                        bare.push(c);
                        self.next();
                    }
                    if bare.is_empty() {
                        return self.error("expected a key");
                    }
                    bare
                }
            };
            path.push(part);
            self.skip_blank(false);
            if self.peek() != Some('.') {
                return Ok(path);
            }
            self.next();
        }
    }

    /// A string of any of TOML's four kinds, its text with `\"` and `\\` unescaped.
    fn string(&mut self) -> Result<Name, Error> {
        let quote = self.next().unwrap_or('"');
        let mut text = String::new();
        let mut triple = false;
        if self.peek() == Some(quote) {
            self.next();
            if self.peek() != Some(quote) {
                // `""`: empty.
                return Ok(Name {
                    text,
                    line: self.line,
                    col: self.col,
                });
            }
            self.next();
            triple = true;
        }
        let (line, col) = self.at();
        let mut closing = 0;
        loop {
            let Some(c) = self.next() else {
                return self.error("unterminated string");
            };
            if c == quote {
                closing += 1;
                if !triple || closing == 3 {
                    if triple {
                        text.truncate(text.len() - 2);
                    }
                    return Ok(Name { text, line, col });
                }
                text.push(c);
                continue;
            }
            closing = 0;
            if c == '\n' && !triple {
                return self.error("unterminated string");
            }
            if c == '\\' && quote == '"' {
                if let Some(escaped) = self.next() {
                    text.push(escaped);
                }
                continue;
            }
            text.push(c);
        }
    }

    /// The value after `=`, up to its end (the rest of the line is left to the caller).
    fn value(&mut self) -> Result<Value, Error> {
        self.skip_blank(false);
        match self.peek() {
            Some('"') | Some('\'') => Ok(Value::String(self.string()?)),
            Some('[') => {
                self.next();
                let mut items = Vec::new();
                loop {
                    self.skip_blank(true);
                    match self.peek() {
                        Some(']') => {
                            self.next();
                            return Ok(Value::Array(items));
                        }
                        Some(',') => {
                            self.next();
                        }
                        None => return self.error("unterminated array"),
                        _ => items.push(self.value()?),
                    }
                }
            }
            Some('{') => {
                self.next();
                let mut entries = Vec::new();
                loop {
                    self.skip_blank(true);
                    match self.peek() {
                        Some('}') => {
                            self.next();
                            return Ok(Value::Table(entries));
                        }
                        Some(',') => {
                            self.next();
                        }
                        None => return self.error("unterminated inline table"),
                        _ => {
                            let key = self.key()?;
                            self.skip_blank(false);
                            if self.next() != Some('=') {
                                return self.error("expected `=` after a key");
                            }
                            entries.push((key, self.value()?));
                        }
                    }
                }
            }
            _ => {
                // A number, boolean or date: up to the next separator.
                while self
                    .peek()
                    .is_some_and(|c| !matches!(c, ',' | ']' | '}' | '\n' | '#'))
                {
                    self.next();
                }
                Ok(Value::Other)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(targets: &Targets) -> Vec<&str> {
        targets.servers.iter().map(|s| s.id).collect()
    }

    fn read_names(manifest: &str) -> Option<Vec<(String, usize, usize)>> {
        servers_line(manifest)
            .unwrap()
            .map(|v| v.into_iter().map(|n| (n.text, n.line, n.col)).collect())
    }

    #[test]
    fn the_forms_cargo_accepts() {
        let table = "[package]\nname = \"x\"\ndescription = \"\"\"\n[package.metadata.evalsha]\n\
                     servers = ['nope']\n\"\"\"\n\n[package.metadata.evalsha]\n\
                     servers = [ # the deploy\n  \"redis-8.0\",\n  'valkey-9.1', # and the new one\n]\n\
                     [dependencies]\nevalsha = { path = \"..\", features = [\"aio\"] }\n";
        assert_eq!(
            read_names(table),
            Some(vec![
                ("redis-8.0".to_owned(), 10, 4),
                ("valkey-9.1".to_owned(), 11, 4)
            ])
        );
        let dotted = "[package.metadata]\nevalsha.servers = [\"redis-7.0\"]\nother = 1.5\n";
        assert_eq!(
            read_names(dotted),
            Some(vec![("redis-7.0".to_owned(), 2, 21)])
        );
        let inline = "[package.metadata]\nevalsha = { servers = [\"valkey-8.1\"] }\n";
        assert_eq!(read_names(inline).unwrap()[0].0, "valkey-8.1");
        let package = "[package]\nmetadata.\"evalsha\".servers = [\"redis-6.2\"]\n";
        assert_eq!(read_names(package).unwrap()[0].0, "redis-6.2");
        // Elsewhere, or absent: no targets.
        assert_eq!(
            read_names("[workspace.metadata.evalsha]\nservers = [\"redis-8.0\"]\n"),
            None
        );
        assert_eq!(read_names("[package]\nname = \"x\"\n"), None);
    }

    #[test]
    fn targets_are_the_named_environments() {
        let t = Targets::from_manifest(
            "[package.metadata.evalsha]\nservers = [\"valkey-9.1\", \"redis-8.0\"]\n",
        );
        assert!(t.exact && t.errors.is_empty());
        assert_eq!(ids(&t), ["valkey-9.1", "redis-8.0"]);
        let t = Targets::from_manifest("[package]\nname = \"x\"\n");
        assert!(!t.exact);
        assert_eq!(ids(&t).len(), env::servers().len());
    }

    #[test]
    fn unknown_names_and_wrong_values_are_errors_at_their_place() {
        let t = Targets::from_manifest(
            "[package.metadata.evalsha]\nservers = [\"redis-8.0\", \"redis-9\"]\n",
        );
        assert_eq!(t.errors.len(), 1);
        assert!(
            t.errors[0].starts_with(
                "Cargo.toml:2:26: unknown target server `redis-9` in \
                 `[package.metadata.evalsha] servers`; the known ones are redis-6.2, \
                 redis-7.0, redis-8.0, valkey-8.1, valkey-9.1\n  |\n2 | servers = "
            ),
            "{}",
            t.errors[0]
        );
        // The known one still counts.
        assert_eq!(ids(&t), ["redis-8.0"]);
        let t = Targets::from_manifest("[package.metadata.evalsha]\nservers = \"redis-8.0\"\n");
        assert!(t.errors[0].contains("must be an array of server names"));
        assert!(!t.exact);
        let t = Targets::from_manifest("[package.metadata.evalsha]\nservers = []\n");
        assert!(
            t.errors[0].starts_with("Cargo.toml:2:1: "),
            "{}",
            t.errors[0]
        );
    }

    #[test]
    fn the_error_setting() {
        let t = Targets::from_manifest("[package.metadata.evalsha]\nerror = \"redis\"\n");
        assert!(t.redis_errors && t.errors.is_empty() && !t.exact);
        let t = Targets::from_manifest(
            "[package.metadata]\nevalsha = { servers = [\"redis-7.0\"], error = 'evalsha' }\n",
        );
        assert!(!t.redis_errors && t.errors.is_empty() && t.exact);
        let t = Targets::from_manifest("[package.metadata.evalsha]\nerror = \"anyhow\"\n");
        assert!(!t.redis_errors);
        assert!(
            t.errors[0].starts_with("Cargo.toml:2:10: `[package.metadata.evalsha] error` is"),
            "{}",
            t.errors[0]
        );
    }
}
