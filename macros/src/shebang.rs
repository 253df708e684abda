//! The `#!lua` line, read once. Every part of the macro that cares about it reads this
//! parse: the header (which starts after it and takes its `flags=`), the Lua parse (which
//! blanks it, as Redis does), the `shebang` check (its engine and options) and
//! `include_library!` (its `name=`). The line is split into words at whitespace, as
//! Redis's own reading of it (`sdssplitargs`) does.

/// The first line of a file that starts with `#!`.
pub(crate) struct Shebang<'a> {
    /// Byte offset of the end of the line: its `\n`, or the end of the text.
    pub(crate) end: usize,
    /// The first word: `#!lua` when the engine is right.
    pub(crate) engine: &'a str,
    /// The words after it, each with the 1-based column (in characters) it starts at.
    pub(crate) options: Vec<(&'a str, usize)>,
}

impl<'a> Shebang<'a> {
    /// The `#!` line `text` starts with, if it does.
    pub(crate) fn read(text: &'a str) -> Option<Self> {
        if !text.starts_with("#!") {
            return None;
        }
        let end = text.find('\n').unwrap_or(text.len());
        let mut words = Vec::new();
        let mut start = None;
        let mut col = 0;
        for (at, c) in text[..end].char_indices() {
            col += 1;
            // C's `isspace`, which Redis's `sdssplitargs` splits at.
            let space = matches!(c, ' ' | '\t' | '\r' | '\x0B' | '\x0C');
            match (space, start) {
                (false, None) => start = Some((at, col)),
                (true, Some((from, from_col))) => {
                    words.push((&text[from..at], from_col));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some((from, from_col)) = start {
            words.push((&text[from..end], from_col));
        }
        let engine = words.first().map_or("#!", |&(word, _)| word);
        Some(Shebang {
            end,
            engine,
            options: words.into_iter().skip(1).collect(),
        })
    }

    /// Whether the engine is `lua`.
    pub(crate) fn is_lua(&self) -> bool {
        self.engine == "#!lua"
    }

    /// The flags of its `flags=` options, in order; empty ones left out.
    pub(crate) fn flags(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.options
            .iter()
            .filter_map(|(word, _)| word.strip_prefix("flags="))
            .flat_map(|flags| flags.split(','))
            .filter(|flag| !flag.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_with_columns_and_flags() {
        let text = "#!lua flags=no-writes,,allow-stale \tname=q\r\nreturn 1";
        let line = Shebang::read(text).unwrap();
        assert_eq!(line.end, 43);
        assert!(line.is_lua());
        assert_eq!(
            line.options,
            [("flags=no-writes,,allow-stale", 7), ("name=q", 37)]
        );
        assert_eq!(
            line.flags().collect::<Vec<_>>(),
            ["no-writes", "allow-stale"]
        );
        assert!(Shebang::read("-- #!lua\nreturn 1").is_none());
        assert!(!Shebang::read("#!python flags=no-writes").unwrap().is_lua());
        assert_eq!(Shebang::read("#!").unwrap().engine, "#!");
    }
}
