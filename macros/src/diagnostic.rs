//! How every compile-time problem with a script reads. One function renders them all,
//! whichever part of the macro found them (file, header, composition, Lua parse, checks):
//!
//! ```text
//! includes/remove_job.lua:12:9: Lua syntax error: expected `end` to conclude `if`
//!    |
//! 12 |     if x then
//!    |         ^
//! ```
//!
//! A check reports a [`Problem`] at a 1-based line and column of the composed script;
//! [`render`] maps it back to the file and line where that code was written and shows
//! that line with a caret under the column, as rustc and askama do.

use crate::compose::Composed;
use crate::problem::Problem;

/// `file:line:col: message`, then the offending line with a caret under the column.
pub(crate) fn render(script: &Composed, problem: &Problem) -> String {
    let origin = script.origin(problem.line);
    snippet(
        origin.file,
        origin.line,
        problem.col,
        Some(origin.source),
        &problem.message,
    )
}

/// The rendering itself, for a position already known in its file. Without the line's
/// text (or for an empty line) only the header line is written.
pub(crate) fn snippet(
    file: &str,
    line: usize,
    col: usize,
    source: Option<&str>,
    message: &str,
) -> String {
    let mut out = format!("{file}:{line}:{col}: {message}");
    let Some(source) = source.filter(|s| !s.trim().is_empty()) else {
        return out;
    };
    let number = line.to_string();
    let gutter = " ".repeat(number.len());
    // Keep tabs before the caret so it lines up under the same character.
    let pad: String = source
        .chars()
        .take(col.saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    out.push_str(&format!(
        "\n{gutter} |\n{number} | {}\n{gutter} | {pad}^",
        source.trim_end()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_under_the_column() {
        assert_eq!(
            snippet("a.lua", 12, 9, Some("\tif x then"), "problem"),
            "a.lua:12:9: problem\n   |\n12 | \tif x then\n   | \t       ^"
        );
        assert_eq!(
            snippet("a.lua", 3, 1, Some(""), "empty line"),
            "a.lua:3:1: empty line"
        );
    }
}
