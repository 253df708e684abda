//! Composing a script from files: every `---@include "path"` line (also `--- @include
//! 'path'`, BullMQ's spelling) is replaced by the text of that file, textually, each file
//! once per script (later includes of it become an empty line), and a source map records
//! for every line of the composed text the file and line it came from.
//!
//! Paths are relative to the including file; `.lua` may be left out. A missing file, an
//! absolute path and a cycle are problems at the `@include` line naming the chain of
//! includes that led there.

use std::path::{Component, Path, PathBuf};

use crate::file;
use crate::problem::Problem;

/// One file that went into the script.
pub(crate) struct Part {
    /// The path as the user reads it: the macro's path for the top-level file; for an
    /// included file, that path's directory joined with the include path (`..` resolved).
    pub(crate) display: String,
    /// Absolute path, for `include_bytes!` (cargo rebuilds when it changes).
    pub(crate) absolute: PathBuf,
    /// The file's own text.
    pub(crate) text: String,
}

/// The composed script and where each of its lines came from.
pub(crate) struct Composed {
    /// The text sent to the server: `SOURCE`, hashed into `SHA1`.
    pub(crate) text: String,
    /// Every file read, the top-level one first.
    pub(crate) parts: Vec<Part>,
    /// For each line of `text` (0-based), the part (index into `parts`) and its 1-based
    /// line there.
    pub(crate) lines: Vec<(usize, usize)>,
}

/// Where a position of the composed text was written.
pub(crate) struct Origin<'a> {
    pub(crate) file: &'a str,
    pub(crate) line: usize,
    /// That line's text (without its line break), for the snippet under the message.
    pub(crate) source: &'a str,
}

impl Composed {
    /// True when the script is more than its top-level file.
    pub(crate) fn has_includes(&self) -> bool {
        self.parts.len() > 1
    }

    /// The file and line that hold 1-based `line` of the composed text.
    pub(crate) fn origin(&self, line: usize) -> Origin<'_> {
        let (part, line) = match self.lines.get(line.wrapping_sub(1)) {
            Some(&found) => found,
            // Past the end (an error at end of file): the last line there is.
            None => self.lines.last().copied().unwrap_or((0, line)),
        };
        let part = &self.parts[part];
        let source = part
            .text
            .split('\n')
            .nth(line.wrapping_sub(1))
            .map_or("", |l| l.strip_suffix('\r').unwrap_or(l));
        Origin {
            file: &part.display,
            line,
            source,
        }
    }

    /// The 1-based composed line that holds 1-based `line` of `part`, if it is there.
    pub(crate) fn composed_line(&self, part: usize, line: usize) -> Option<usize> {
        self.lines
            .iter()
            .position(|&(p, l)| p == part && l == line)
            .map(|i| i + 1)
    }

    /// The source map in runs: `(first composed line, part, its line there)` for each
    /// stretch of consecutive lines from one file, all 1-based.
    pub(crate) fn runs(&self) -> Vec<(usize, usize, usize)> {
        let mut runs: Vec<(usize, usize, usize)> = Vec::new();
        for (i, &(part, line)) in self.lines.iter().enumerate() {
            let continues = runs
                .last()
                .is_some_and(|&(start, p, l)| p == part && l + (i + 1 - start) == line);
            if !continues {
                runs.push((i + 1, part, line));
            }
        }
        runs
    }
}

/// Composes the script whose top-level file is `top` (display path, absolute path, text).
/// Problems are positions in the composed text.
pub(crate) fn compose(display: &str, absolute: PathBuf, text: String) -> (Composed, Vec<Problem>) {
    let mut composer = Composer {
        out: Composed {
            text: String::with_capacity(text.len()),
            parts: Vec::new(),
            lines: Vec::new(),
        },
        problems: Vec::new(),
        seen: Vec::new(),
    };
    composer.seen.push(canonical(&absolute));
    composer.out.parts.push(Part {
        display: display.to_owned(),
        absolute,
        text,
    });
    composer.splice(0, "", &mut Vec::new());
    (composer.out, composer.problems)
}

/// How deep `@include`s may nest: [`Composer::splice`] recurses once per level, so the depth
/// is bounded (real chains are a few files deep; BullMQ's deepest is 3).
const MAX_DEPTH: usize = 100;

struct Composer {
    out: Composed,
    problems: Vec<Problem>,
    /// Canonical paths of the parts, in the same order, to insert each file once.
    seen: Vec<PathBuf>,
}

impl Composer {
    /// Appends part `part`'s text; its last line ends with `ending` instead of its own
    /// line break (the break of the `@include` line it replaces). `chain` holds the
    /// includes that led here: `(part, line)` of each `@include` line.
    fn splice(&mut self, part: usize, ending: &str, chain: &mut Vec<(usize, usize)>) {
        let text = self.out.parts[part].text.clone();
        let body = if chain.is_empty() {
            text.as_str()
        } else {
            let t = text.strip_suffix('\n').unwrap_or(&text);
            t.strip_suffix('\r').unwrap_or(t)
        };
        let mut lines = body.split_inclusive('\n').peekable();
        let mut line_no = 0;
        if body.is_empty() {
            self.push_line(part, 1, "", ending);
        }
        while let Some(raw) = lines.next() {
            line_no += 1;
            let last = lines.peek().is_none();
            let (content, own_ending) = split_ending(raw);
            let end = if last && own_ending.is_empty() {
                ending
            } else {
                own_ending
            };
            let Some(target) = directive(content) else {
                self.push_line(part, line_no, content, end);
                continue;
            };
            match self.resolve(part, target) {
                Err(problem) => {
                    let message = with_chain(&problem, &self.out, chain);
                    self.problem_here(content, message);
                    self.push_line(part, line_no, "", end);
                }
                Ok(found) => {
                    // Read every file first: on any problem nothing of this line goes in.
                    let mut ready = Vec::new();
                    let mut problems = Vec::new();
                    for (display, absolute, canonical) in found {
                        if let Some(index) = self.seen.iter().position(|s| *s == canonical) {
                            let on_stack = index == 0 || chain.iter().any(|&(p, _)| p == index);
                            if on_stack || index == part {
                                problems.push(format!(
                                    "`@include \"{target}\"` makes a cycle: {}",
                                    cycle(&self.out, chain, part, line_no, index)
                                ));
                            }
                            continue; // already inserted: nothing more to add
                        }
                        let text = std::fs::read(&absolute)
                            .map_err(|err| {
                                with_chain(
                                    &format!("cannot read `{display}`: {err}"),
                                    &self.out,
                                    chain,
                                )
                            })
                            .and_then(|bytes| file::decode(&display, bytes));
                        match text {
                            Ok(text) => ready.push((display, absolute, canonical, text)),
                            Err(message) => problems.push(message),
                        }
                    }
                    if !ready.is_empty() && chain.len() >= MAX_DEPTH {
                        problems.push(with_chain(
                            &format!(
                                "`@include \"{target}\"` nests includes more than {MAX_DEPTH} \
                                 files deep"
                            ),
                            &self.out,
                            chain,
                        ));
                    }
                    let any = !ready.is_empty() && problems.is_empty();
                    for message in problems {
                        self.problem_here(content, message);
                    }
                    if !any {
                        // Already inserted, or a problem: the line becomes empty.
                        self.push_line(part, line_no, "", end);
                        continue;
                    }
                    for (display, absolute, canonical, text) in ready {
                        if self.seen.contains(&canonical) {
                            continue; // a file of the same pattern included it already
                        }
                        self.seen.push(canonical);
                        self.out.parts.push(Part {
                            display,
                            absolute,
                            text,
                        });
                        let child = self.out.parts.len() - 1;
                        chain.push((part, line_no));
                        self.splice(child, end, chain);
                        chain.pop();
                    }
                }
            }
        }
    }

    fn push_line(&mut self, part: usize, line: usize, content: &str, ending: &str) {
        self.out.text.push_str(content);
        self.out.text.push_str(ending);
        self.out.lines.push((part, line));
    }

    /// A problem at the `@include` line about to be pushed (its column: the `@`).
    fn problem_here(&mut self, content: &str, message: String) {
        let col = content
            .find('@')
            .map_or(1, |at| content[..at].chars().count() + 1);
        self.problems.push(Problem {
            line: self.out.lines.len() + 1,
            col,
            message,
        });
    }

    /// Finds the files `target` names, relative to part `from`: one file, or for a
    /// pattern with `*` / `?` in its last component (BullMQ's glob includes) every
    /// matching file, in name order.
    fn resolve(&self, from: usize, target: &str) -> Result<Vec<Found>, String> {
        if Path::new(target).is_absolute() {
            return Err(format!(
                "`@include \"{target}\"`: absolute paths are not allowed; write the path \
                 relative to the including file"
            ));
        }
        if target.starts_with('<') && target.contains('>') {
            return Err(format!(
                "`@include \"{target}\"`: `<name>` path mappings are a setting of BullMQ's \
                 script loader (`addScriptPathMapping`), which evalsha does not have; write \
                 the path relative to the including file"
            ));
        }
        let from = &self.out.parts[from];
        let dir = from.absolute.parent().unwrap_or(Path::new(""));
        let display_dir = Path::new(&from.display).parent().unwrap_or(Path::new(""));
        let found = |candidate: &str| {
            let absolute = dir.join(candidate);
            let display = normalize(&display_dir.join(candidate));
            let canonical = canonical(&absolute);
            (display, absolute, canonical)
        };
        let (parent, name) = target.rsplit_once('/').unwrap_or(("", target));
        if name.contains(['*', '?']) {
            let pattern = if name.contains('.') {
                name.to_owned()
            } else {
                format!("{name}.lua")
            };
            let mut names: Vec<String> = std::fs::read_dir(dir.join(parent))
                .into_iter()
                .flatten()
                .flatten()
                .filter(|e| e.path().is_file())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| wildcard(&pattern, n))
                .collect();
            names.sort();
            if names.is_empty() {
                return Err(format!(
                    "`@include \"{target}\"`: the pattern matches no file in {} (the path \
                     is relative to the including file `{}`)",
                    normalize(&display_dir.join(parent)),
                    from.display
                ));
            }
            let prefix = if parent.is_empty() {
                String::new()
            } else {
                format!("{parent}/")
            };
            return Ok(names
                .iter()
                .map(|n| found(&format!("{prefix}{n}")))
                .collect());
        }
        let mut candidates = vec![target.to_owned()];
        if !target.ends_with(".lua") {
            candidates.insert(0, format!("{target}.lua"));
        }
        for candidate in &candidates {
            if dir.join(candidate).is_file() {
                return Ok(vec![found(candidate)]);
            }
        }
        Err(format!(
            "`@include \"{target}\"`: file not found: {} (the path is relative to the \
             including file `{}`; `.lua` may be left out)",
            normalize(&display_dir.join(&candidates[0])),
            from.display
        ))
    }
}

/// A file an `@include` names: display path, absolute path, canonical path.
type Found = (String, PathBuf, PathBuf);

/// `*` (any run of characters) and `?` (one character) matching of a whole file name.
fn wildcard(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// The include path of a line `---@include "path"` / `--- @include 'path'` (two or three
/// dashes, BullMQ's rule), or `None` for any other line.
pub(crate) fn directive(line: &str) -> Option<&str> {
    let rest = line
        .strip_prefix("---")
        .or_else(|| line.strip_prefix("--"))?;
    let rest = rest
        .trim_start_matches([' ', '\t'])
        .strip_prefix("@include")?;
    let rest = rest
        .strip_prefix([' ', '\t'])?
        .trim_start_matches([' ', '\t']);
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &rest[1..];
    let close = rest.find(quote)?;
    let tail = rest[close + 1..].trim_end_matches([' ', '\t', ';']);
    (tail.is_empty() && close > 0).then(|| &rest[..close])
}

fn split_ending(raw: &str) -> (&str, &str) {
    if let Some(c) = raw.strip_suffix("\r\n") {
        (c, "\r\n")
    } else if let Some(c) = raw.strip_suffix('\n') {
        (c, "\n")
    } else {
        (raw, "")
    }
}

/// `message`, followed by the includes that led to the file that holds it.
fn with_chain(message: &str, out: &Composed, chain: &[(usize, usize)]) -> String {
    if chain.is_empty() {
        return message.to_owned();
    }
    let mut text = format!("{message}; included from ");
    let mut links: Vec<String> = chain
        .iter()
        .map(|&(p, l)| format!("{}:{l}", out.parts[p].display))
        .collect();
    links.reverse();
    text.push_str(&links.join(" <- "));
    text
}

/// `a.lua:3 -> b.lua:5 -> a.lua`: the includes from part `back_to` down to the line that
/// names it again.
fn cycle(
    out: &Composed,
    chain: &[(usize, usize)],
    part: usize,
    line: usize,
    back_to: usize,
) -> String {
    let mut steps: Vec<(usize, usize)> = chain.to_vec();
    steps.push((part, line));
    let start = steps.iter().position(|&(p, _)| p == back_to).unwrap_or(0);
    let mut text: Vec<String> = steps[start..]
        .iter()
        .map(|&(p, l)| format!("{}:{l}", out.parts[p].display))
        .collect();
    text.push(out.parts[back_to].display.clone());
    text.join(" includes ")
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_owned())
}

/// `a/b/../c/./d.lua` → `a/c/d.lua`, without touching the file system (leading `..` stay).
fn normalize(path: &Path) -> String {
    let mut parts: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if parts
                    .last()
                    .is_some_and(|l| matches!(l, Component::Normal(_))) =>
            {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts
        .iter()
        .collect::<PathBuf>()
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives() {
        assert_eq!(directive("---@include \"a\""), Some("a"));
        assert_eq!(directive("--- @include 'includes/x'"), Some("includes/x"));
        assert_eq!(directive("-- @include \"x.lua\";"), Some("x.lua"));
        assert_eq!(directive("--- @include \"x\" -- no"), None);
        assert_eq!(directive("  --- @include \"x\""), None);
        assert_eq!(directive("--- @included \"x\""), None);
        assert_eq!(directive("---@include x"), None);
        assert_eq!(directive("local x = 1 --- @include \"x\""), None);
    }

    fn scratch(files: &[(&str, &str)]) -> PathBuf {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "evalsha-compose-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn run(dir: &Path, top: &str) -> (Composed, Vec<Problem>) {
        let abs = dir.join(top);
        let text = std::fs::read_to_string(&abs).unwrap();
        compose(&format!("s/{top}"), abs, text)
    }

    #[test]
    fn splices_each_file_once_and_maps_lines() {
        let dir = scratch(&[
            (
                "top.lua",
                "local a = 1\n--- @include \"inc/x\"\n---@include \"inc/y.lua\"\nreturn x() + y()\n",
            ),
            ("inc/x.lua", "local function x()\n  return 1\nend\n"),
            (
                "inc/y.lua",
                "--- @include \"x\"\nlocal function y() return x() end\n",
            ),
        ]);
        let (c, problems) = run(&dir, "top.lua");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            c.text,
            "local a = 1\nlocal function x()\n  return 1\nend\n\nlocal function y() return x() end\nreturn x() + y()\n"
        );
        let o = c.origin(3);
        assert_eq!((o.file, o.line, o.source), ("s/inc/x.lua", 2, "  return 1"));
        let o = c.origin(5); // the second include of x: an empty line
        assert_eq!((o.file, o.line), ("s/inc/y.lua", 1));
        let o = c.origin(7);
        assert_eq!((o.file, o.line), ("s/top.lua", 4));
        assert_eq!(c.parts.len(), 3);
        assert_eq!(c.runs(), vec![(1, 0, 1), (2, 1, 1), (5, 2, 1), (7, 0, 4)]);
        assert_eq!(c.composed_line(0, 4), Some(7));
    }

    #[test]
    fn missing_absolute_and_cycles_name_the_chain() {
        let dir = scratch(&[
            (
                "top.lua",
                "--- @include \"a\"\n---@include \"/etc/x.lua\"\nreturn 1\n",
            ),
            ("a.lua", "-- a\n--- @include \"b\"\n"),
            ("b.lua", "--- @include \"nope\"\n--- @include \"a\"\n"),
        ]);
        let (c, problems) = run(&dir, "top.lua");
        let messages: Vec<String> = problems
            .iter()
            .map(|p| {
                let o = c.origin(p.line);
                format!("{}:{}:{}: {}", o.file, o.line, p.col, p.message)
            })
            .collect();
        assert_eq!(
            messages,
            [
                "s/b.lua:1:5: `@include \"nope\"`: file not found: s/nope.lua (the path is relative to the including file `s/b.lua`; `.lua` may be left out); included from s/a.lua:2 <- s/top.lua:1",
                "s/b.lua:2:5: `@include \"a\"` makes a cycle: s/a.lua:2 includes s/b.lua:2 includes s/a.lua",
                "s/top.lua:2:4: `@include \"/etc/x.lua\"`: absolute paths are not allowed; write the path relative to the including file",
            ]
        );
    }

    #[test]
    fn include_chains_are_bounded() {
        let files: Vec<(String, String)> = (0..=MAX_DEPTH + 1)
            .map(|i| {
                let include = if i <= MAX_DEPTH {
                    format!("---@include \"f{}\"\n", i + 1)
                } else {
                    String::new()
                };
                (format!("f{i}.lua"), format!("{include}local x{i} = 1\n"))
            })
            .collect();
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let dir = scratch(&refs);
        let (_, problems) = run(&dir, "f0.lua");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0]
                .message
                .contains("nests includes more than 100 files deep"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn crlf_and_no_final_newline() {
        let dir = scratch(&[
            ("top.lua", "--- @include \"a\"\r\nreturn f()"),
            ("a.lua", "local function f() return 1 end"),
        ]);
        let (c, problems) = run(&dir, "top.lua");
        assert!(problems.is_empty());
        assert_eq!(c.text, "local function f() return 1 end\r\nreturn f()");
    }

    #[test]
    fn glob_includes_in_name_order_and_path_mappings_refused() {
        let dir = scratch(&[
            (
                "top.lua",
                "--- @include \"inc/f_*\"\n--- @include \"<inc>/x\"\nreturn 1\n",
            ),
            ("inc/f_b.lua", "local b = 2\n"),
            ("inc/f_a.lua", "local a = 1\n"),
            ("inc/g.lua", "local g = 3\n"),
        ]);
        let (c, problems) = run(&dir, "top.lua");
        assert!(
            c.text.starts_with("local a = 1\nlocal b = 2\n"),
            "{}",
            c.text
        );
        assert!(!c.text.contains("local g"));
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].message.contains("path mappings"),
            "{}",
            problems[0].message
        );
        assert!(wildcard("f_*.lua", "f_a.lua") && wildcard("?.lua", "a.lua"));
        assert!(!wildcard("f_*.lua", "g.lua") && !wildcard("f_?.lua", "f_ab.lua"));
    }

    #[test]
    fn normalizes_display_paths() {
        assert_eq!(normalize(Path::new("a/b/../c/./d.lua")), "a/c/d.lua");
        assert_eq!(normalize(Path::new("../../x/../y.lua")), "../../y.lua");
    }
}
