//! The annotation header: the first run of `---` lines at the top of the script (after an
//! optional `#!lua` line), holding free text and `@key` / `@arg` / `@return` tags.

use crate::types::{self, ParamType};

/// A problem at a 1-based line and column of the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub(crate) line: usize,
    pub(crate) col: usize,
    pub(crate) message: String,
}

/// A declared key or argument.
#[derive(Clone)]
pub(crate) struct Param {
    pub(crate) name: String,
    /// `None` for keys: they are `impl ToRedisArgs`.
    pub(crate) ty: Option<ParamType>,
    pub(crate) variadic: bool,
    pub(crate) doc: String,
    /// Where the name stands in the file, for errors.
    pub(crate) line: usize,
    pub(crate) col: usize,
}

/// Everything the header says.
#[derive(Clone, Default)]
pub(crate) struct Header {
    /// True when the file has a header at all (a `---` line at the top).
    pub(crate) present: bool,
    /// `#!lua flags=...` flags, e.g. `no-writes`.
    pub(crate) flags: Vec<String>,
    pub(crate) doc: Vec<String>,
    pub(crate) keys: Vec<Param>,
    pub(crate) args: Vec<Param>,
    pub(crate) ret: Option<(syn::Type, String)>,
}

impl Header {
    pub(crate) fn read_only(&self) -> bool {
        self.flags.iter().any(|f| f == "no-writes")
    }
}

/// Tags of the Lua language server (LuaLS/EmmyLua) and LDoc, left alone.
const FOREIGN_TAGS: &[&str] = &[
    "param",
    "type",
    "diagnostic",
    "see",
    "class",
    "field",
    "alias",
    "meta",
    "module",
    "version",
    "author",
    "deprecated",
    "nodiscard",
    "overload",
    "cast",
    "async",
    "generic",
    "vararg",
    "operator",
    "enum",
    "private",
    "protected",
    "package",
    "source",
    "usage",
    "license",
    "copyright",
    "release",
    "function",
    "local",
    "table",
    "raise",
    "treturn",
    "tparam",
    "within",
    "section",
    "submodule",
    "classmod",
    "todo",
    "fixme",
    "warning",
    "note",
    "example",
    "lookup",
    "export",
    "readonly",
    "since",
    "as",
    "nodiscard",
    "module",
    "return_cast",
    "summary",
    "description",
    "brief",
    "throws",
    "error",
    "retval",
];

/// Reserved for the generated methods' own parameters.
const RESERVED: &[&str] = &["con", "self"];

/// Parses the header of `text`. Problems are collected, not fatal: the header returned
/// holds everything that did parse.
pub(crate) fn parse(text: &str) -> (Header, Vec<Problem>) {
    let mut header = Header::default();
    let mut problems = Vec::new();
    let mut lines = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .enumerate()
        .peekable();

    if let Some((_, first)) = lines.peek()
        && let Some(rest) = first.strip_prefix("#!lua")
    {
        for word in rest.split_whitespace() {
            if let Some(flags) = word.strip_prefix("flags=") {
                header.flags.extend(
                    flags
                        .split(',')
                        .filter(|f| !f.is_empty())
                        .map(str::to_owned),
                );
            }
        }
        lines.next();
    }

    for (index, line) in lines {
        if is_banner(line) {
            continue; // `------------`: a plain comment, neither a header line nor its end
        }
        let Some(content) = line.strip_prefix("---") else {
            break;
        };
        if crate::compose::directive(line).is_some() {
            continue; // an include, not a tag: it makes no header by itself
        }
        header.present = true;
        let line_no = index + 1;
        let lead = content.len() - content.trim_start().len();
        let body = content.trim_start();
        let col = 4 + lead;
        match body.strip_prefix('@') {
            Some(tagged) => parse_tag(tagged, line_no, col, &mut header, &mut problems),
            None => header
                .doc
                .push(content.strip_prefix(' ').unwrap_or(content).to_owned()),
        }
    }
    check_names(&mut header, &mut problems);
    (header, problems)
}

fn parse_tag(
    tagged: &str,
    line: usize,
    col: usize,
    header: &mut Header,
    problems: &mut Vec<Problem>,
) {
    let tag_len = tagged.find(char::is_whitespace).unwrap_or(tagged.len());
    let tag = &tagged[..tag_len];
    let rest = &tagged[tag_len..];
    let rest_col = col + 1 + tag_len + (rest.len() - rest.trim_start().len());
    let rest = rest.trim_start();
    let mut problem = |col: usize, message: String| problems.push(Problem { line, col, message });

    match tag {
        "key" | "arg" => {
            let (name, after) = split_word(rest);
            if name.is_empty() {
                problem(
                    rest_col,
                    format!(
                        "`@{tag}` needs a name: `---@{tag} NAME{}`",
                        if tag == "arg" { " TYPE" } else { "" }
                    ),
                );
                // Still a declared slot (renamed by `check_names`), so later checks do
                // not report its uses again.
                let param = Param {
                    name: String::new(),
                    ty: None,
                    variadic: false,
                    doc: String::new(),
                    line,
                    col: rest_col,
                };
                if tag == "key" {
                    header.keys.push(param)
                } else {
                    header.args.push(param)
                }
                return;
            }
            let (variadic, bare) = match name.strip_prefix("...") {
                Some(bare) => (true, bare),
                None => (false, name),
            };
            let after_col = rest_col + name.len() + (after.len() - after.trim_start().len());
            let after = after.trim_start();
            let list = if tag == "key" {
                &header.keys
            } else {
                &header.args
            };
            if list.last().is_some_and(|p| p.variadic) {
                problem(
                    rest_col,
                    format!(
                        "`@{tag} {name}` follows the variadic `...{}`: only the last @{tag} may be variadic",
                        list.last().map_or("", |p| p.name.as_str())
                    ),
                );
            }
            // A missing or bad type is reported, and the line still declares its slot
            // (typed `impl ToRedisArgs`): one mistake, one error.
            let (ty, doc) = if tag == "arg" {
                let (ty_text, doc) = types::split_type(after);
                if ty_text.is_empty() {
                    problem(
                        after_col,
                        format!(
                            "`@arg {name}` needs a type, e.g. `---@arg {name} u64` or `---@arg {name} string`"
                        ),
                    );
                    (None, doc)
                } else {
                    match types::param_type(ty_text) {
                        Ok(ty) => (Some(ty), doc),
                        Err(msg) => {
                            problem(after_col, msg);
                            (None, doc)
                        }
                    }
                }
            } else {
                (None, after)
            };
            let param = Param {
                name: bare.to_owned(),
                ty,
                variadic,
                doc: doc.trim().to_owned(),
                line,
                col: rest_col,
            };
            if tag == "key" {
                header.keys.push(param)
            } else {
                header.args.push(param)
            }
        }
        "return" => {
            let (ty_text, doc) = types::split_type(rest);
            if header.ret.is_some() {
                problem(
                    col,
                    "`@return` given twice: a script has one reply type".into(),
                );
                return;
            }
            if ty_text.is_empty() {
                problem(
                    rest_col,
                    "`@return` needs a type, e.g. `---@return i64`".into(),
                );
                return;
            }
            match types::return_type(ty_text) {
                Ok(ty) => header.ret = Some((ty, doc.trim().to_owned())),
                Err(msg) => problem(rest_col, msg),
            }
        }
        _ if FOREIGN_TAGS.contains(&tag) => {}
        // `--- @include "x"` with something after the path: not an include line.
        "include" => problem(
            col,
            "`@include` takes one quoted path alone on its line: `--- @include \"includes/x\"`"
                .into(),
        ),
        _ => {
            let hint = ["key", "arg", "return"]
                .into_iter()
                .filter(|known| distance(tag, known) <= 2)
                .min_by_key(|known| distance(tag, known))
                .map(|known| format!("; did you mean `@{known}`?"))
                .unwrap_or_else(|| "; evalsha knows `@key`, `@arg` and `@return`".into());
            problem(col, format!("unknown tag `@{tag}`{hint}"));
        }
    }
}

/// A banner: a line of four or more dashes (`--------`, `---- Section ----`), a plain
/// comment however many dashes follow.
fn is_banner(line: &str) -> bool {
    line.starts_with("----")
}

/// `@key`/`@arg` tags in included files: parameters are declared only in the top-level
/// script's header.
pub(crate) fn tags_in_included(script: &crate::compose::Composed) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (part, file) in script.parts.iter().enumerate().skip(1) {
        for (index, line) in file.text.split('\n').enumerate() {
            let Some(rest) = line.strip_prefix("---") else {
                continue;
            };
            let body = rest.trim_start();
            let tag = body.strip_prefix('@').map(|t| split_word(t).0);
            if let Some(tag @ ("key" | "arg")) = tag
                && let Some(at) = script.composed_line(part, index + 1)
            {
                problems.push(Problem {
                    line: at,
                    col: 4 + rest.len() - body.len(),
                    message: format!(
                        "`@{tag}` in an included file: parameters are declared only in the \
                         header of the top-level script `{}`",
                        script.parts[0].display
                    ),
                });
            }
        }
    }
    problems
}

/// Splits off the first whitespace-separated word.
fn split_word(s: &str) -> (&str, &str) {
    let end = s.find(char::is_whitespace).unwrap_or(s.len());
    (&s[..end], &s[end..])
}

/// Reports bad parameter names and renames those parameters to placeholders, so the
/// methods are still generated with the right number of parameters (no cascade).
fn check_names(header: &mut Header, problems: &mut Vec<Problem>) {
    let mut seen: Vec<String> = Vec::new();
    for (index, param) in header.keys.iter_mut().chain(&mut header.args).enumerate() {
        let name = param.name.clone();
        let name = name.as_str();
        let message = if name.is_empty() {
            None // reported where the line was parsed
        } else if !is_ident(name) {
            Some(format!(
                "`{name}` is not a valid parameter name: use letters, digits and `_`, not starting with a digit"
            ))
        } else if is_keyword(name) {
            Some(format!(
                "`{name}` is a Rust keyword and cannot name a parameter"
            ))
        } else if RESERVED.contains(&name) {
            Some(format!(
                "`{name}` is reserved for the connection parameter of the generated methods"
            ))
        } else if seen.iter().any(|s| s == name) {
            Some(format!("parameter `{name}` is declared twice"))
        } else {
            None
        };
        seen.push(name.to_owned());
        if let Some(message) = message {
            problems.push(Problem {
                line: param.line,
                col: param.col,
                message,
            });
            param.name = format!("invalid_parameter_{}", index + 1);
        } else if name.is_empty() {
            param.name = format!("invalid_parameter_{}", index + 1);
        }
    }
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
        && s != "_"
}

pub(crate) fn is_keyword(s: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn",
        "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
        "return", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
        "where", "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final",
        "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
    ];
    KEYWORDS.contains(&s)
}

/// Levenshtein distance, for "did you mean".
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}
