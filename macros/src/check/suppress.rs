//! The Lua language server's own comments switch checks off, so editors and evalsha read
//! the same lines:
//!
//! - `---@diagnostic disable-next-line: NAME[, NAME]` silences the next line,
//! - `---@diagnostic disable-line: NAME` its own line,
//! - `---@diagnostic disable: NAME` from there on, until `---@diagnostic enable: NAME`.
//!
//! Without names they apply to every check. `--- @diagnostic` (with a space) is the same.
//! A `disable` among the comment lines that open the file (before any code) covers the
//! whole file, its `#!lua` line included.

/// One `@diagnostic` comment.
struct Directive {
    line: usize,
    action: Action,
    /// Empty: every check.
    names: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    DisableNextLine,
    DisableLine,
    Disable,
    Enable,
}

/// The `@diagnostic` comments of a script.
pub(crate) struct Suppressions(Vec<Directive>);

impl Suppressions {
    /// Reads every `---@diagnostic` comment of `text`.
    pub(crate) fn read(text: &str) -> Suppressions {
        let mut directives = Vec::new();
        let mut code_seen = false;
        for (index, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            let opening = !code_seen;
            if !(trimmed.is_empty() || trimmed.starts_with("--") || trimmed.starts_with("#!")) {
                code_seen = true;
            }
            let Some(at) = line.find("---") else { continue };
            let rest = line[at..].trim_start_matches('-').trim_start();
            let Some(rest) = rest.strip_prefix("@diagnostic") else {
                continue;
            };
            let (action, names) = rest.split_once(':').unwrap_or((rest, ""));
            let action = match action.trim() {
                "disable-next-line" => Action::DisableNextLine,
                "disable-line" => Action::DisableLine,
                "disable" => Action::Disable,
                "enable" => Action::Enable,
                _ => continue,
            };
            let names = names
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect();
            let line = if opening && action == Action::Disable {
                0
            } else {
                index + 1
            };
            directives.push(Directive {
                line,
                action,
                names,
            });
        }
        Suppressions(directives)
    }

    /// Whether `check` is switched off at `line`.
    pub(crate) fn silenced(&self, check: &str, line: usize) -> bool {
        let names = |d: &Directive| d.names.is_empty() || d.names.iter().any(|n| n == check);
        let mut off = false;
        for directive in self.0.iter().filter(|d| names(d)) {
            match directive.action {
                Action::DisableNextLine if directive.line + 1 == line => return true,
                Action::DisableLine if directive.line == line => return true,
                Action::Disable if directive.line <= line => off = true,
                Action::Enable if directive.line <= line => off = false,
                _ => {}
            }
        }
        off
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_line_same_line_and_ranges() {
        let s = Suppressions::read(
            "---@diagnostic disable-next-line: undefined-global, escape\nprint(1)\nprint(2)\n\
             x = 1 ---@diagnostic disable-line: global-write\n--- @diagnostic disable: escape\n\
             a\nb\n---@diagnostic enable: escape\nc\n---@diagnostic disable\nd",
        );
        assert!(s.silenced("undefined-global", 2));
        assert!(s.silenced("escape", 2));
        assert!(!s.silenced("undefined-global", 3));
        assert!(s.silenced("global-write", 4));
        assert!(!s.silenced("undefined-global", 4));
        assert!(s.silenced("escape", 6) && s.silenced("escape", 7));
        assert!(!s.silenced("escape", 9));
        assert!(s.silenced("bool-arg", 11) && !s.silenced("bool-arg", 9));
    }

    #[test]
    fn a_disable_in_the_opening_comments_covers_the_shebang_line() {
        let s = Suppressions::read(
            "#!lua flags=x\n--- Doc.\n---@diagnostic disable: shebang\nreturn 1",
        );
        assert!(s.silenced("shebang", 1));
        let s = Suppressions::read(
            "#!lua flags=x\nlocal a = 1\n---@diagnostic disable: shebang\nreturn a",
        );
        assert!(!s.silenced("shebang", 1) && s.silenced("shebang", 4));
    }
}
