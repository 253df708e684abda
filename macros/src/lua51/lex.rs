//! Lua 5.1's lexer (`llex.c` of the Lua the servers vendor), token by token on demand as
//! the parser asks, so that errors come in the order and at the line the server gives.
//! Iterative: no input makes it recurse.

use super::Refusal;
use super::number::is_space;

/// A token, as `llex.c` numbers them: single characters and the reserved words and
/// multi-character symbols of `luaX_tokens`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum T {
    /// A single-character token (`+`, `(`, ...), also one Lua does not know (`@`).
    Ch(u8),
    And,
    Break,
    Do,
    Else,
    Elseif,
    End,
    False,
    For,
    Function,
    If,
    In,
    Local,
    Nil,
    Not,
    Or,
    Repeat,
    Return,
    Then,
    True,
    Until,
    While,
    Concat,
    Dots,
    Eq,
    Ge,
    Le,
    Ne,
    Number,
    Name,
    Str,
    Eos,
}

const RESERVED: &[(&str, T)] = &[
    ("and", T::And),
    ("break", T::Break),
    ("do", T::Do),
    ("else", T::Else),
    ("elseif", T::Elseif),
    ("end", T::End),
    ("false", T::False),
    ("for", T::For),
    ("function", T::Function),
    ("if", T::If),
    ("in", T::In),
    ("local", T::Local),
    ("nil", T::Nil),
    ("not", T::Not),
    ("or", T::Or),
    ("repeat", T::Repeat),
    ("return", T::Return),
    ("then", T::Then),
    ("true", T::True),
    ("until", T::Until),
    ("while", T::While),
];

/// `luaX_token2str`: how a message names a token.
pub(crate) fn token2str(t: T) -> String {
    match t {
        T::Ch(c) if c.is_ascii_control() => format!("char({c})"),
        T::Ch(c) => String::from_utf8_lossy(&[c]).into_owned(),
        T::Concat => "..".into(),
        T::Dots => "...".into(),
        T::Eq => "==".into(),
        T::Ge => ">=".into(),
        T::Le => "<=".into(),
        T::Ne => "~=".into(),
        T::Number => "<number>".into(),
        T::Name => "<name>".into(),
        T::Str => "<string>".into(),
        T::Eos => "<eof>".into(),
        reserved => RESERVED
            .iter()
            .find(|(_, r)| *r == reserved)
            .map_or_else(String::new, |(s, _)| (*s).to_owned()),
    }
}

/// One token read.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub(crate) t: T,
    /// Byte range of its text (for names, numbers and strings: what `near '..'` shows).
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// The lexer's state: `LexState` minus the parser's parts.
pub(crate) struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    /// `ls->linenumber`: the line the lexer is on.
    pub(crate) line: usize,
    /// Byte offset where `line` starts, for columns.
    line_start: usize,
    /// `ls->buff`: the text of the last name, number or string read, as `near '..'`
    /// shows it (a short string with its escapes already turned into what they stand for,
    /// a long string without its first line break and with `\n` for each other, see
    /// [`long_buffer`]).
    pub(crate) buf: Vec<u8>,
    /// `seminfo->r`: the value of the last number read.
    pub(crate) number: f64,
    /// Whether a nested `[[` is refused, as Redis 6.2 does.
    pub(crate) nesting_refused: bool,
}

fn is_newline(c: Option<u8>) -> bool {
    matches!(c, Some(b'\n' | b'\r'))
}

/// What `read_long_string` saves of a long string (`raw`, brackets included): the first
/// line break skipped, every other line break (`\n`, `\r`, `\r\n` or `\n\r`) one `\n`.
fn long_buffer(raw: &[u8]) -> Vec<u8> {
    let newline = |i: usize| match raw.get(i) {
        Some(&c) if is_newline(Some(c)) => {
            if raw
                .get(i + 1)
                .is_some_and(|&d| is_newline(Some(d)) && d != c)
            {
                2
            } else {
                1
            }
        }
        _ => 0,
    };
    let open = 2 + raw[1..].iter().take_while(|&&c| c == b'=').count();
    let mut out = raw[..open].to_vec();
    let mut i = open + newline(open);
    while i < raw.len() {
        match newline(i) {
            0 => {
                out.push(raw[i]);
                i += 1;
            }
            n => {
                out.push(b'\n');
                i += n;
            }
        }
    }
    out
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Lexer {
            src: src.as_bytes(),
            pos: 0,
            line: 1,
            line_start: 0,
            buf: Vec::new(),
            number: 0.0,
            nesting_refused: false,
        }
    }

    fn current(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    /// The 1-based column of byte `at` on the current line (or 1 before it).
    pub(crate) fn col(&self, at: usize) -> usize {
        let from = self.src[..at.min(self.src.len())]
            .iter()
            .rposition(|&c| c == b'\n' || c == b'\r')
            .map_or(0, |p| p + 1);
        let _ = self.line_start;
        String::from_utf8_lossy(&self.src[from..at.min(self.src.len())])
            .chars()
            .count()
            + 1
    }

    /// The text of a token, lossy (for `near '..'`).
    pub(crate) fn text(&self, token: &Token) -> String {
        String::from_utf8_lossy(&self.src[token.start..token.end]).into_owned()
    }

    /// The buffer as `near '..'` shows it (the server's error reply has no line breaks).
    pub(crate) fn buffer(&self) -> String {
        String::from_utf8_lossy(&self.buf).replace(['\n', '\r'], " ")
    }

    /// `luaX_lexerror`: a refusal at the current line, `near` the token text given, up to
    /// its first NUL byte (the servers print it as a C string).
    pub(crate) fn error(&self, message: &str, near: Option<String>, at: usize) -> Refusal {
        Refusal {
            line: self.line,
            col: self.col(at),
            message: match near {
                Some(near) => {
                    let near = near.split('\0').next().unwrap_or_default();
                    format!("{message} near '{near}'")
                }
                None => message.to_owned(),
            },
        }
    }

    fn inclinenumber(&mut self) {
        let old = self.current();
        self.pos += 1;
        if is_newline(self.current()) && self.current() != old {
            self.pos += 1;
        }
        self.line += 1;
        self.line_start = self.pos;
    }

    /// `skip_sep`: at `[` or `]`, the level of `[==[`, or `-count - 1` when it is not one.
    fn skip_sep(&mut self) -> i64 {
        let s = self.current();
        self.pos += 1;
        let mut count = 0;
        while self.current() == Some(b'=') {
            self.pos += 1;
            count += 1;
        }
        if self.current() == s {
            count
        } else {
            -count - 1
        }
    }

    /// `read_long_string`. A nested `[[` in a level-0 long string or comment is refused
    /// ("nesting of [[...]] is deprecated", `LUA_COMPAT_LSTR` 1) only by Redis 6.2
    /// ([`Lexer::nesting_refused`]); Redis 7.0+ and Valkey read it as text (measured).
    fn long_string(&mut self, sep: i64, comment: bool) -> Result<(), Refusal> {
        self.pos += 1; // the second `[`
        if is_newline(self.current()) {
            self.inclinenumber();
        }
        loop {
            match self.current() {
                None => {
                    let what = if comment {
                        "unfinished long comment"
                    } else {
                        "unfinished long string"
                    };
                    return Err(self.error(what, Some("<eof>".into()), self.pos));
                }
                Some(b'[') if self.nesting_refused => {
                    let at = self.pos;
                    if self.skip_sep() == sep {
                        self.pos += 1;
                        if sep == 0 {
                            return Err(self.error(
                                "nesting of [[...]] is deprecated",
                                Some("[".into()),
                                at,
                            ));
                        }
                    }
                }
                Some(b']') => {
                    if self.skip_sep() == sep {
                        self.pos += 1;
                        return Ok(());
                    }
                }
                Some(b'\n' | b'\r') => self.inclinenumber(),
                Some(_) => self.pos += 1,
            }
        }
    }

    fn string(&mut self, start: usize, del: u8) -> Result<(), Refusal> {
        self.buf.clear();
        self.buf.push(del);
        self.pos += 1;
        while self.current() != Some(del) {
            match self.current() {
                None => return Err(self.error("unfinished string", Some("<eof>".into()), start)),
                Some(b'\n' | b'\r') => {
                    return Err(self.error("unfinished string", Some(self.buffer()), start));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = match self.current() {
                        Some(b'a') => 7,
                        Some(b'b') => 8,
                        Some(b'f') => 12,
                        Some(b'n') => b'\n',
                        Some(b'r') => b'\r',
                        Some(b't') => b'\t',
                        Some(b'v') => 11,
                        Some(b'\n' | b'\r') => {
                            self.buf.push(b'\n');
                            self.inclinenumber();
                            continue;
                        }
                        None => continue,
                        Some(c) if c.is_ascii_digit() => {
                            let mut value = 0u32;
                            let mut i = 0;
                            while i < 3 {
                                let Some(d) = self.current().filter(u8::is_ascii_digit) else {
                                    break;
                                };
                                value = value * 10 + u32::from(d - b'0');
                                self.pos += 1;
                                i += 1;
                            }
                            let Ok(byte) = u8::try_from(value) else {
                                return Err(self.error(
                                    "escape sequence too large",
                                    Some(self.buffer()),
                                    start,
                                ));
                            };
                            self.buf.push(byte);
                            continue;
                        }
                        Some(c) => c,
                    };
                    self.buf.push(c);
                    self.pos += 1;
                }
                Some(c) => {
                    self.buf.push(c);
                    self.pos += 1;
                }
            }
        }
        self.buf.push(del);
        self.pos += 1;
        Ok(())
    }

    fn numeral(&mut self, start: usize) -> Result<(), Refusal> {
        while self
            .current()
            .is_some_and(|c| c.is_ascii_digit() || c == b'.')
        {
            self.pos += 1;
        }
        if matches!(self.current(), Some(b'E' | b'e')) {
            self.pos += 1;
            if matches!(self.current(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
        }
        while self
            .current()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        {
            self.pos += 1;
        }
        let text = &self.src[start..self.pos];
        self.buf = text.to_vec();
        if let Some(number) = super::number::str2d(text) {
            self.number = number;
            Ok(())
        } else {
            let near = String::from_utf8_lossy(text).into_owned();
            Err(self.error("malformed number", Some(near), start))
        }
    }

    /// `llex`: the next token.
    pub(crate) fn next(&mut self) -> Result<Token, Refusal> {
        loop {
            let start = self.pos;
            let token = |t, end| Token { t, start, end };
            match self.current() {
                None => return Ok(token(T::Eos, start)),
                Some(b'\n' | b'\r') => self.inclinenumber(),
                Some(b'-') => {
                    self.pos += 1;
                    if self.current() != Some(b'-') {
                        return Ok(token(T::Ch(b'-'), self.pos));
                    }
                    self.pos += 1;
                    if self.current() == Some(b'[') {
                        let sep = self.skip_sep();
                        if sep >= 0 {
                            self.long_string(sep, true)?;
                            continue;
                        }
                    }
                    while !is_newline(self.current()) && self.current().is_some() {
                        self.pos += 1;
                    }
                }
                Some(b'[') => {
                    let sep = self.skip_sep();
                    if sep >= 0 {
                        self.long_string(sep, false)?;
                        self.buf = long_buffer(&self.src[start..self.pos]);
                        return Ok(token(T::Str, self.pos));
                    } else if sep == -1 {
                        return Ok(token(T::Ch(b'['), start + 1));
                    } else {
                        let near = String::from_utf8_lossy(&self.src[start..self.pos]).into_owned();
                        return Err(self.error("invalid long string delimiter", Some(near), start));
                    }
                }
                Some(c @ (b'=' | b'<' | b'>' | b'~')) => {
                    self.pos += 1;
                    if self.current() != Some(b'=') {
                        return Ok(token(T::Ch(c), self.pos));
                    }
                    self.pos += 1;
                    let t = match c {
                        b'=' => T::Eq,
                        b'<' => T::Le,
                        b'>' => T::Ge,
                        _ => T::Ne,
                    };
                    return Ok(token(t, self.pos));
                }
                Some(del @ (b'"' | b'\'')) => {
                    self.string(start, del)?;
                    return Ok(token(T::Str, self.pos));
                }
                Some(b'.') => {
                    self.pos += 1;
                    if self.current() == Some(b'.') {
                        self.pos += 1;
                        if self.current() == Some(b'.') {
                            self.pos += 1;
                            return Ok(token(T::Dots, self.pos));
                        }
                        return Ok(token(T::Concat, self.pos));
                    } else if !self.current().is_some_and(|c| c.is_ascii_digit()) {
                        return Ok(token(T::Ch(b'.'), self.pos));
                    }
                    self.numeral(start)?;
                    return Ok(token(T::Number, self.pos));
                }
                Some(c) if is_space(c) => self.pos += 1,
                Some(c) if c.is_ascii_digit() => {
                    self.numeral(start)?;
                    return Ok(token(T::Number, self.pos));
                }
                Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                    while self
                        .current()
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
                    {
                        self.pos += 1;
                    }
                    let word = &self.src[start..self.pos];
                    self.buf = word.to_vec();
                    let t = RESERVED
                        .iter()
                        .find(|(r, _)| r.as_bytes() == word)
                        .map_or(T::Name, |(_, t)| *t);
                    return Ok(token(t, self.pos));
                }
                Some(c) => {
                    self.pos += 1;
                    return Ok(token(T::Ch(c), self.pos));
                }
            }
        }
    }
}
