//! Lua 5.1's parser (`lparser.c` of the Lua the servers vendor) without its code
//! generator: the same grammar, in the same order, with the same errors and limits.
//!
//! Recursion is bounded as the server bounds it: every nested construct passes through
//! `chunk` or `subexpr`, which count syntax levels and refuse past `LUAI_MAXCCALLS` (200)
//! before going deeper, so no input takes this parser more than ~200 levels deep. Long
//! chains of left-associative operators (`1 + 1 + ...`) and of suffixes (`a.b.c(d)`) are
//! loops here, as in Lua. `assignment` is a loop too.

use super::lex::{Lexer, T, Token, token2str};
use super::{Refusal, Shape};

/// `LUAI_MAXCCALLS` (luaconf.h): syntax levels.
pub(crate) const MAX_LEVELS: usize = 200;
/// `LUAI_MAXVARS` (luaconf.h): active local variables per function.
pub(crate) const MAX_VARS: usize = 200;
/// `LUAI_MAXUPVALUES` (luaconf.h): upvalues per function.
pub(crate) const MAX_UPVALUES: usize = 60;
/// `SHRT_MAX`: local variable declarations per function (`registerlocalvar`).
const MAX_LOCVARS: usize = 32767;
/// `UNARY_PRIORITY`.
const UNARY: u8 = 8;

/// The `expdesc` kinds the grammar cares about.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A variable: `VLOCAL`, `VUPVAL`, `VGLOBAL`, `VINDEXED`.
    Assignable,
    /// `VCALL`.
    Call,
    /// Anything else (a parenthesized expression, ...).
    Other,
}

/// Where a name resolved (`singlevaraux`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Found {
    Global,
    Local(usize),
    Up(usize),
}

/// `FuncState`, the parts that limits need.
struct Func {
    /// Active locals first (`nactvar` of them), then the ones being declared.
    actvar: Vec<Vec<u8>>,
    nactvar: usize,
    /// `(is the parent's local, index)` of each upvalue.
    upvals: Vec<(bool, usize)>,
    linedefined: usize,
    vararg: bool,
    /// `(nactvar at entry, breakable)` of each open block.
    blocks: Vec<(usize, bool)>,
    nlocvars: usize,
}

impl Func {
    fn new(linedefined: usize, vararg: bool) -> Self {
        Func {
            actvar: Vec::new(),
            nactvar: 0,
            upvals: Vec::new(),
            linedefined,
            vararg,
            blocks: Vec::new(),
            nlocvars: 0,
        }
    }
}

pub(crate) struct Parser<'a> {
    lx: Lexer<'a>,
    t: Token,
    ahead: Option<Token>,
    lastline: usize,
    funcs: Vec<Func>,
    nccalls: usize,
    /// The syntax levels allowed (`LUAI_MAXCCALLS`, see [`super::check_wrapped`]).
    max_levels: usize,
    /// Binary operators read by the `subexpr` loops now open: the depth of the
    /// left-leaning trees being built along this path.
    open_chain: usize,
    shape: Shape,
}

type R<T = ()> = Result<T, Refusal>;

fn block_follow(t: T) -> bool {
    matches!(t, T::Else | T::Elseif | T::End | T::Until | T::Eos)
}

fn unop(t: T) -> bool {
    matches!(t, T::Not | T::Ch(b'-' | b'#'))
}

/// `(left, right)` priority of a binary operator.
fn binop(t: T) -> Option<(u8, u8)> {
    Some(match t {
        T::Ch(b'+' | b'-') => (6, 6),
        T::Ch(b'*' | b'/' | b'%') => (7, 7),
        T::Ch(b'^') => (10, 9),
        T::Concat => (5, 4),
        T::Ne | T::Eq | T::Ch(b'<' | b'>') | T::Le | T::Ge => (3, 3),
        T::And => (2, 2),
        T::Or => (1, 1),
        _ => return None,
    })
}

impl<'a> Parser<'a> {
    /// `luaY_parser`: the whole chunk.
    pub(crate) fn chunk_of(text: &'a str, max_levels: usize, redis62: bool) -> R<Shape> {
        let mut lx = Lexer::new(text);
        lx.nesting_refused = redis62;
        let first = lx.next()?;
        let mut p = Parser {
            lx,
            t: first,
            ahead: None,
            lastline: 1,
            funcs: vec![Func::new(0, true)],
            nccalls: 0,
            max_levels,
            open_chain: 0,
            shape: Shape::default(),
        };
        p.chunk()?;
        p.check(T::Eos)?;
        Ok(p.shape)
    }

    fn fs(&mut self) -> &mut Func {
        let last = self.funcs.len() - 1;
        &mut self.funcs[last]
    }

    // ---- errors

    /// What `near '..'` shows of the current token; none for a NUL byte, token 0, which
    /// `luaX_lexerror` leaves out (`if (token)`).
    fn near(&self) -> Option<String> {
        match self.t.t {
            T::Name | T::Str | T::Number => Some(self.lx.buffer()),
            T::Ch(0) => None,
            t => Some(token2str(t)),
        }
    }

    fn syntax_error(&self, message: &str) -> Refusal {
        self.lx.error(message, self.near(), self.t.start)
    }

    fn error_expected(&self, t: T) -> Refusal {
        self.syntax_error(&format!("'{}' expected", token2str(t)))
    }

    fn error_limit(&self, level: usize, limit: usize, what: &str) -> Refusal {
        let line = self.funcs[level].linedefined;
        let message = if line == 0 {
            format!("main function has more than {limit} {what}")
        } else {
            format!("function at line {line} has more than {limit} {what}")
        };
        self.lx.error(&message, None, self.t.start)
    }

    // ---- tokens

    fn next(&mut self) -> R {
        self.lastline = self.lx.line;
        self.t = match self.ahead.take() {
            Some(t) => t,
            None => self.lx.next()?,
        };
        Ok(())
    }

    fn check(&self, t: T) -> R {
        if self.t.t == t {
            Ok(())
        } else {
            Err(self.error_expected(t))
        }
    }

    fn checknext(&mut self, t: T) -> R {
        self.check(t)?;
        self.next()
    }

    fn testnext(&mut self, t: T) -> R<bool> {
        if self.t.t == t {
            self.next()?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn check_match(&mut self, what: T, who: T, line: usize) -> R {
        if self.testnext(what)? {
            return Ok(());
        }
        if line == self.lx.line {
            Err(self.error_expected(what))
        } else {
            Err(self.syntax_error(&format!(
                "'{}' expected (to close '{}' at line {line})",
                token2str(what),
                token2str(who)
            )))
        }
    }

    fn str_checkname(&mut self) -> R<Vec<u8>> {
        self.check(T::Name)?;
        let name = self.lx.text(&self.t).into_bytes();
        self.next()?;
        Ok(name)
    }

    fn enterlevel(&mut self) -> R {
        self.nccalls += 1;
        self.shape.levels = self.shape.levels.max(self.nccalls);
        if self.nccalls > self.max_levels {
            return Err(self
                .lx
                .error("chunk has too many syntax levels", None, self.t.start));
        }
        Ok(())
    }

    fn leavelevel(&mut self) {
        self.nccalls -= 1;
    }

    // ---- variables

    fn new_localvar(&mut self, name: Vec<u8>, n: usize) -> R {
        let level = self.funcs.len() - 1;
        let fs = &self.funcs[level];
        if fs.nactvar + n + 1 > MAX_VARS {
            return Err(self.error_limit(level, MAX_VARS, "local variables"));
        }
        if fs.nlocvars >= MAX_LOCVARS {
            return Err(self
                .lx
                .error("too many local variables", None, self.t.start));
        }
        let fs = self.fs();
        fs.nlocvars += 1;
        let at = fs.nactvar + n;
        fs.actvar.truncate(at);
        fs.actvar.push(name);
        Ok(())
    }

    fn adjustlocalvars(&mut self, n: usize) {
        self.fs().nactvar += n;
    }

    fn enterblock(&mut self, breakable: bool) {
        let fs = self.fs();
        let n = fs.nactvar;
        fs.blocks.push((n, breakable));
    }

    fn leaveblock(&mut self) {
        let fs = self.fs();
        if let Some((n, _)) = fs.blocks.pop() {
            fs.nactvar = n;
            fs.actvar.truncate(n);
        }
    }

    fn singlevaraux(&mut self, level: usize, name: &[u8]) -> R<Found> {
        let fs = &self.funcs[level];
        if let Some(i) = fs.actvar[..fs.nactvar].iter().rposition(|n| n == name) {
            return Ok(Found::Local(i));
        }
        if level == 0 {
            return Ok(Found::Global);
        }
        let key = match self.singlevaraux(level - 1, name)? {
            Found::Global => return Ok(Found::Global),
            Found::Local(i) => (true, i),
            Found::Up(i) => (false, i),
        };
        if let Some(i) = self.funcs[level].upvals.iter().position(|u| *u == key) {
            return Ok(Found::Up(i));
        }
        if self.funcs[level].upvals.len() + 1 > MAX_UPVALUES {
            return Err(self.error_limit(level, MAX_UPVALUES, "upvalues"));
        }
        self.funcs[level].upvals.push(key);
        Ok(Found::Up(self.funcs[level].upvals.len() - 1))
    }

    fn singlevar(&mut self) -> R {
        let name = self.str_checkname()?;
        let level = self.funcs.len() - 1;
        self.singlevaraux(level, &name)?;
        Ok(())
    }

    // ---- statements

    fn chunk(&mut self) -> R {
        self.enterlevel()?;
        let mut last = false;
        while !last && !block_follow(self.t.t) {
            last = self.statement()?;
            self.testnext(T::Ch(b';'))?;
        }
        self.leavelevel();
        Ok(())
    }

    fn block(&mut self) -> R {
        self.enterblock(false);
        self.chunk()?;
        self.leaveblock();
        Ok(())
    }

    fn statement(&mut self) -> R<bool> {
        let line = self.lx.line;
        match self.t.t {
            T::If => {
                self.test_then_block()?;
                while self.t.t == T::Elseif {
                    self.test_then_block()?;
                }
                if self.t.t == T::Else {
                    self.next()?;
                    self.block()?;
                }
                self.check_match(T::End, T::If, line)?;
            }
            T::While => {
                self.next()?;
                self.expr()?;
                self.enterblock(true);
                self.checknext(T::Do)?;
                self.block()?;
                self.check_match(T::End, T::While, line)?;
                self.leaveblock();
            }
            T::Do => {
                self.next()?;
                self.block()?;
                self.check_match(T::End, T::Do, line)?;
            }
            T::For => self.forstat(line)?,
            T::Repeat => {
                self.enterblock(true);
                self.enterblock(false);
                self.next()?;
                self.chunk()?;
                self.check_match(T::Until, T::Repeat, line)?;
                self.expr()?;
                self.leaveblock();
                self.leaveblock();
            }
            T::Function => {
                self.next()?;
                self.singlevar()?;
                while self.t.t == T::Ch(b'.') {
                    self.field()?;
                }
                let needself = self.t.t == T::Ch(b':');
                if needself {
                    self.field()?;
                }
                self.body(needself, line)?;
            }
            T::Local => {
                self.next()?;
                if self.testnext(T::Function)? {
                    let name = self.str_checkname()?;
                    self.new_localvar(name, 0)?;
                    self.adjustlocalvars(1);
                    let line = self.lx.line;
                    self.body(false, line)?;
                } else {
                    let mut n = 0;
                    loop {
                        let name = self.str_checkname()?;
                        self.new_localvar(name, n)?;
                        n += 1;
                        if !self.testnext(T::Ch(b','))? {
                            break;
                        }
                    }
                    if self.testnext(T::Ch(b'='))? {
                        self.explist1()?;
                    }
                    self.adjustlocalvars(n);
                }
            }
            T::Return => {
                self.next()?;
                if !block_follow(self.t.t) && self.t.t != T::Ch(b';') {
                    self.explist1()?;
                }
                return Ok(true);
            }
            T::Break => {
                self.next()?;
                if !self.fs().blocks.iter().any(|b| b.1) {
                    return Err(self.syntax_error("no loop to break"));
                }
                return Ok(true);
            }
            _ => self.exprstat()?,
        }
        Ok(false)
    }

    fn test_then_block(&mut self) -> R {
        self.next()?;
        self.expr()?;
        self.checknext(T::Then)?;
        self.block()
    }

    fn forstat(&mut self, line: usize) -> R {
        self.enterblock(true);
        self.next()?;
        let name = self.str_checkname()?;
        match self.t.t {
            T::Ch(b'=') => {
                for (n, hidden) in ["(for index)", "(for limit)", "(for step)"]
                    .iter()
                    .enumerate()
                {
                    self.new_localvar(hidden.as_bytes().to_vec(), n)?;
                }
                self.new_localvar(name, 3)?;
                self.checknext(T::Ch(b'='))?;
                self.expr()?;
                self.checknext(T::Ch(b','))?;
                self.expr()?;
                if self.testnext(T::Ch(b','))? {
                    self.expr()?;
                }
                self.forbody(1)?;
            }
            T::Ch(b',') | T::In => {
                for (n, hidden) in ["(for generator)", "(for state)", "(for control)"]
                    .iter()
                    .enumerate()
                {
                    self.new_localvar(hidden.as_bytes().to_vec(), n)?;
                }
                self.new_localvar(name, 3)?;
                let mut n = 4;
                while self.testnext(T::Ch(b','))? {
                    let name = self.str_checkname()?;
                    self.new_localvar(name, n)?;
                    n += 1;
                }
                self.checknext(T::In)?;
                self.explist1()?;
                self.forbody(n - 3)?;
            }
            _ => return Err(self.syntax_error("'=' or 'in' expected")),
        }
        self.check_match(T::End, T::For, line)?;
        self.leaveblock();
        Ok(())
    }

    fn forbody(&mut self, nvars: usize) -> R {
        self.adjustlocalvars(3);
        self.checknext(T::Do)?;
        self.enterblock(false);
        self.adjustlocalvars(nvars);
        self.block()?;
        self.leaveblock();
        Ok(())
    }

    fn field(&mut self) -> R {
        self.next()?;
        self.str_checkname()?;
        Ok(())
    }

    fn exprstat(&mut self) -> R {
        let mut kind = self.primaryexp()?;
        if kind == Kind::Call {
            return Ok(());
        }
        // `assignment`, as a loop.
        let mut nvars = 1;
        loop {
            if kind != Kind::Assignable {
                return Err(self.syntax_error("syntax error"));
            }
            if !self.testnext(T::Ch(b','))? {
                break;
            }
            kind = self.primaryexp()?;
            let limit = self.max_levels.saturating_sub(self.nccalls);
            if nvars > limit {
                let level = self.funcs.len() - 1;
                return Err(self.error_limit(level, limit, "variables in assignment"));
            }
            nvars += 1;
        }
        self.checknext(T::Ch(b'='))?;
        self.explist1()
    }

    fn body(&mut self, needself: bool, line: usize) -> R {
        self.funcs.push(Func::new(line, false));
        self.checknext(T::Ch(b'('))?;
        if needself {
            self.new_localvar(b"self".to_vec(), 0)?;
            self.adjustlocalvars(1);
        }
        let mut n = 0;
        if self.t.t != T::Ch(b')') {
            loop {
                match self.t.t {
                    T::Name => {
                        let name = self.str_checkname()?;
                        self.new_localvar(name, n)?;
                        n += 1;
                    }
                    T::Dots => {
                        self.next()?;
                        self.new_localvar(b"arg".to_vec(), n)?;
                        n += 1;
                        self.fs().vararg = true;
                    }
                    _ => return Err(self.syntax_error("<name> or '...' expected")),
                }
                if self.fs().vararg || !self.testnext(T::Ch(b','))? {
                    break;
                }
            }
        }
        self.adjustlocalvars(n);
        self.checknext(T::Ch(b')'))?;
        self.chunk()?;
        self.check_match(T::End, T::Function, line)?;
        self.funcs.pop();
        Ok(())
    }

    // ---- expressions

    fn explist1(&mut self) -> R {
        self.expr()?;
        while self.testnext(T::Ch(b','))? {
            self.expr()?;
        }
        Ok(())
    }

    fn expr(&mut self) -> R {
        self.subexpr(0).map(|_| ())
    }

    /// `subexpr`: returns the binary operator that stopped it.
    fn subexpr(&mut self, limit: u8) -> R<Option<(u8, u8)>> {
        self.enterlevel()?;
        if unop(self.t.t) {
            self.next()?;
            self.subexpr(UNARY)?;
        } else {
            self.simpleexp()?;
        }
        let mut op = binop(self.t.t);
        let mut chain = 0;
        while let Some((left, right)) = op {
            if left <= limit {
                break;
            }
            chain += 1;
            self.open_chain += 1;
            self.shape.longest_chain = self.shape.longest_chain.max(self.open_chain);
            self.next()?;
            op = self.subexpr(right)?;
        }
        self.open_chain -= chain;
        self.leavelevel();
        Ok(op)
    }

    fn simpleexp(&mut self) -> R {
        match self.t.t {
            T::Number | T::Str | T::Nil | T::True | T::False => self.next(),
            T::Dots => {
                if !self.fs().vararg {
                    return Err(self.syntax_error("cannot use '...' outside a vararg function"));
                }
                self.next()
            }
            T::Ch(b'{') => self.constructor(),
            T::Function => {
                self.next()?;
                let line = self.lx.line;
                self.body(false, line)
            }
            _ => self.primaryexp().map(|_| ()),
        }
    }

    fn constructor(&mut self) -> R {
        let line = self.lx.line;
        self.checknext(T::Ch(b'{'))?;
        loop {
            if self.t.t == T::Ch(b'}') {
                break;
            }
            match self.t.t {
                T::Name => {
                    if self.ahead.is_none() {
                        self.ahead = Some(self.lx.next()?);
                    }
                    if self.ahead.as_ref().map(|a| a.t) != Some(T::Ch(b'=')) {
                        self.expr()?;
                    } else {
                        self.str_checkname()?;
                        self.checknext(T::Ch(b'='))?;
                        self.expr()?;
                    }
                }
                T::Ch(b'[') => {
                    self.yindex()?;
                    self.checknext(T::Ch(b'='))?;
                    self.expr()?;
                }
                _ => self.expr()?,
            }
            if !(self.testnext(T::Ch(b','))? || self.testnext(T::Ch(b';'))?) {
                break;
            }
        }
        self.check_match(T::Ch(b'}'), T::Ch(b'{'), line)
    }

    fn yindex(&mut self) -> R {
        self.next()?;
        self.expr()?;
        self.checknext(T::Ch(b']'))
    }

    fn primaryexp(&mut self) -> R<Kind> {
        let mut kind = match self.t.t {
            T::Ch(b'(') => {
                let line = self.lx.line;
                self.next()?;
                self.expr()?;
                self.check_match(T::Ch(b')'), T::Ch(b'('), line)?;
                Kind::Other
            }
            T::Name => {
                self.singlevar()?;
                Kind::Assignable
            }
            _ => return Err(self.syntax_error("unexpected symbol")),
        };
        loop {
            match self.t.t {
                T::Ch(b'.') => {
                    self.field()?;
                    kind = Kind::Assignable;
                }
                T::Ch(b'[') => {
                    self.yindex()?;
                    kind = Kind::Assignable;
                }
                T::Ch(b':') => {
                    self.next()?;
                    self.str_checkname()?;
                    self.funcargs()?;
                    kind = Kind::Call;
                }
                T::Ch(b'(' | b'{') | T::Str => {
                    self.funcargs()?;
                    kind = Kind::Call;
                }
                _ => return Ok(kind),
            }
        }
    }

    fn funcargs(&mut self) -> R {
        let line = self.lx.line;
        match self.t.t {
            T::Ch(b'(') => {
                if line != self.lastline {
                    return Err(
                        self.syntax_error("ambiguous syntax (function call x new statement)")
                    );
                }
                self.next()?;
                if self.t.t != T::Ch(b')') {
                    self.explist1()?;
                }
                self.check_match(T::Ch(b')'), T::Ch(b'('), line)
            }
            T::Ch(b'{') => self.constructor(),
            T::Str => self.next(),
            _ => Err(self.syntax_error("function arguments expected")),
        }
    }
}
