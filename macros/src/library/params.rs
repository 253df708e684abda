//! Each function's parameters: the `---` block right above its registration or its
//! callback's definition, else how the callback uses its two parameters.

use full_moon::ast::{FunctionBody, Parameter};

use super::registration::{Callback, Defined};
use crate::check::scope;
use crate::header::{self, Header};
use crate::infer::{self, Shape};
use crate::lua::{self, Usage};
use crate::problem::Problem;

/// The parameters of the function registered on `line` with `callback`, from the tagged `---` block right above
/// the registration, else above its callback's definition; without one, inferred from how
/// the callback uses its two parameters (with its optional trailing arguments and
/// variadic tails, as a script's, [`infer`]). Problems in the block are positions of the
/// file.
pub(super) fn of(
    callback: &Callback,
    line: usize,
    defined: &[Defined],
    lines: &[&str],
    problems: &mut Vec<Problem>,
) -> (Header, Usage, Shape) {
    // The callback: an inline function, or a named one defined in the file.
    let callback = match callback {
        Callback::Body(body, line) => Some((body, *line)),
        Callback::Name(callee) => defined
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
    let block = block_above(lines, line)
        .filter(|b| b.tagged)
        .or_else(|| callback.and_then(|(_, line)| block_above(lines, line)))
        .or_else(|| block_above(lines, line));
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
    // Inferred only without a tagged block, as for a script without a header.
    let shape = match callback {
        Some((body, _)) if !header.present => {
            let facts = scope::analyse_callback(body.block(), &args_name);
            infer::callback_shape(body.block(), (&keys_name, &args_name), &usage, &facts)
        }
        _ => Shape::default(),
    };
    (header, usage, shape)
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
