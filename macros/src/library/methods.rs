//! The methods each function gets: `NAME`, `NAME_async` and `NAME_call`, from
//! [`crate::names::snake`] of its name, each a Rust identifier unique on the type.

use super::Library;
use crate::problem::Problem;

/// Every method name a function gets must be a Rust identifier and unique on the type. A
/// function whose methods cannot be is reported and left out (its library still loads).
pub(super) fn names(library: &mut Library, problems: &mut Vec<Problem>) {
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
