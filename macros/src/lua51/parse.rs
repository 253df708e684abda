//! Lua 5.1's parser (`lparser.c` of the Lua the servers vendor) without its code
//! generator: the same grammar, in the same order, with the same errors and limits.
//!
//! Recursion is bounded as the server bounds it: every nested construct passes through
//! `chunk` or `subexpr`, which count syntax levels and refuse past `LUAI_MAXCCALLS` (200)
//! before going deeper, so no input takes this parser more than ~200 levels deep. Long
//! chains of left-associative operators (`1 + 1 + ...`) and of suffixes (`a.b.c(d)`) are
//! loops here, as in Lua. `assignment` is a loop too.
//!
//! Expressions carry their `expdesc` ([`Exp`]) and every function its registers
//! ([`Code`]), moved where `lparser.c` calls `lcode.c`, so that "function or expression
//! too complex" is refused at the server's token.

use super::code::{Bin, Code, Exp, Kind, LFIELDS_PER_FLUSH, Limit, Un};
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

/// Where a name resolved (`singlevaraux`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Found {
    Global,
    Local(usize),
    Up(usize),
}

/// `FuncState`, the parts that limits need.
struct Func {
    /// Active locals first (`code.nactvar` of them), then the ones being declared.
    actvar: Vec<Vec<u8>>,
    /// `nactvar`, `freereg` and the constants.
    code: Code,
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
            code: Code::default(),
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

/// `getunopr`.
fn unop(t: T) -> Option<Un> {
    Some(match t {
        T::Not => Un::Not,
        T::Ch(b'-') => Un::Minus,
        T::Ch(b'#') => Un::Len,
        _ => return None,
    })
}

/// `getbinopr` and its `(left, right)` priority.
fn binop(t: T) -> Option<(Bin, u8, u8)> {
    Some(match t {
        T::Ch(b'+') => (Bin::Add, 6, 6),
        T::Ch(b'-') => (Bin::Sub, 6, 6),
        T::Ch(b'*') => (Bin::Mul, 7, 7),
        T::Ch(b'/') => (Bin::Div, 7, 7),
        T::Ch(b'%') => (Bin::Mod, 7, 7),
        T::Ch(b'^') => (Bin::Pow, 10, 9),
        T::Concat => (Bin::Concat, 5, 4),
        T::Ne => (Bin::Ne, 3, 3),
        T::Eq => (Bin::Eq, 3, 3),
        T::Ch(b'<') => (Bin::Lt, 3, 3),
        T::Le => (Bin::Le, 3, 3),
        T::Ch(b'>') => (Bin::Gt, 3, 3),
        T::Ge => (Bin::Ge, 3, 3),
        T::And => (Bin::And, 2, 2),
        T::Or => (Bin::Or, 1, 1),
        _ => return None,
    })
}

/// The string a string token stands for (`seminfo.ts`), from the lexer's buffer (see
/// [`Lexer::buf`]): a short string's text between its quotes, a long string's between its
/// brackets.
fn string_value(buf: &[u8]) -> &[u8] {
    let delimiter = if buf.first() == Some(&b'[') {
        2 + buf[1..].iter().take_while(|&&c| c == b'=').count()
    } else {
        1
    };
    buf.get(delimiter..buf.len().saturating_sub(delimiter))
        .unwrap_or_default()
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
        if fs.code.nactvar + n + 1 > MAX_VARS {
            return Err(self.error_limit(level, MAX_VARS, "local variables"));
        }
        if fs.nlocvars >= MAX_LOCVARS {
            return Err(self
                .lx
                .error("too many local variables", None, self.t.start));
        }
        let fs = self.fs();
        fs.nlocvars += 1;
        let at = fs.code.nactvar + n;
        fs.actvar.truncate(at);
        fs.actvar.push(name);
        Ok(())
    }

    fn adjustlocalvars(&mut self, n: usize) {
        self.fs().code.nactvar += n;
    }

    fn enterblock(&mut self, breakable: bool) {
        let fs = self.fs();
        let n = fs.code.nactvar;
        fs.blocks.push((n, breakable));
    }

    fn leaveblock(&mut self) {
        let fs = self.fs();
        if let Some((n, _)) = fs.blocks.pop() {
            fs.code.nactvar = n;
            fs.actvar.truncate(n);
        }
        fs.code.freereg = fs.code.nactvar;
    }

    fn singlevaraux(&mut self, level: usize, name: &[u8]) -> R<Found> {
        let fs = &self.funcs[level];
        if let Some(i) = fs.actvar[..fs.code.nactvar].iter().rposition(|n| n == name) {
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

    /// `singlevar`: a global's name is a constant of the function.
    fn singlevar(&mut self) -> R<Exp> {
        let name = self.str_checkname()?;
        let level = self.funcs.len() - 1;
        let k = match self.singlevaraux(level, &name)? {
            Found::Global => {
                self.code(|c| c.string_k(&name))?;
                Kind::Global
            }
            Found::Local(reg) => Kind::Local(reg),
            Found::Up(_) => Kind::Upval,
        };
        Ok(Exp::new(k))
    }

    // ---- registers

    /// Runs a step of `lcode.c` on the current function. `luaK_checkstack`'s refusal
    /// names the current token; "constant table overflow" is a runtime error, which the
    /// servers report with no line and no token (here: the current line).
    fn code<V>(&mut self, step: impl FnOnce(&mut Code) -> Result<V, Limit>) -> R<V> {
        let done = step(&mut self.fs().code);
        done.map_err(|limit| match limit {
            Limit::Registers => self.syntax_error("function or expression too complex"),
            Limit::Constants => self.lx.error("constant table overflow", None, self.t.start),
        })
    }

    /// `codestring`/`checkname`: the string constant of the current name or string token,
    /// which is then read.
    fn codestring(&mut self) -> R<Exp> {
        let value = if self.t.t == T::Str {
            string_value(&self.lx.buf).to_vec()
        } else {
            self.lx.text(&self.t).into_bytes()
        };
        let i = self.code(|c| c.string_k(&value))?;
        self.next()?;
        Ok(Exp::new(Kind::K(i)))
    }

    /// `checkname`.
    fn checkname(&mut self) -> R<Exp> {
        self.check(T::Name)?;
        self.codestring()
    }

    /// `adjust_assign`: `nvars` values from `nexps` expressions, `e` the last.
    fn adjust_assign(&mut self, nvars: usize, nexps: usize, e: &mut Exp) -> R {
        let extra = nvars as isize - nexps as isize;
        if e.multret() {
            let extra = (extra + 1).max(0) as usize;
            self.code(|c| c.setreturns(e))?;
            if extra > 1 {
                self.code(|c| c.reserveregs(extra - 1))?;
            }
        } else {
            if e.k != Kind::Void {
                self.code(|c| c.exp2nextreg(e))?;
            }
            if extra > 0 {
                self.code(|c| c.reserveregs(extra as usize))?;
            }
        }
        Ok(())
    }

    // ---- statements

    /// `chunk`: the registers of a statement are free after it.
    fn chunk(&mut self) -> R {
        self.enterlevel()?;
        let mut last = false;
        while !last && !block_follow(self.t.t) {
            last = self.statement()?;
            self.testnext(T::Ch(b';'))?;
            let code = &mut self.fs().code;
            code.freereg = code.nactvar;
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
                self.cond()?;
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
                self.cond()?;
                self.leaveblock();
                self.leaveblock();
            }
            T::Function => {
                // `funcstat`
                self.next()?;
                let mut v = self.singlevar()?;
                while self.t.t == T::Ch(b'.') {
                    self.field(&mut v)?;
                }
                let needself = self.t.t == T::Ch(b':');
                if needself {
                    self.field(&mut v)?;
                }
                let mut b = self.body(needself, line)?;
                self.code(|c| c.storevar(&v, &mut b))?;
            }
            T::Local => {
                self.next()?;
                if self.testnext(T::Function)? {
                    // `localfunc`
                    let name = self.str_checkname()?;
                    self.new_localvar(name, 0)?;
                    let v = Exp::new(Kind::Local(self.fs().code.freereg));
                    self.code(|c| c.reserveregs(1))?;
                    self.adjustlocalvars(1);
                    let line = self.lx.line;
                    let mut b = self.body(false, line)?;
                    self.code(|c| c.storevar(&v, &mut b))?;
                } else {
                    // `localstat`
                    let mut n = 0;
                    loop {
                        let name = self.str_checkname()?;
                        self.new_localvar(name, n)?;
                        n += 1;
                        if !self.testnext(T::Ch(b','))? {
                            break;
                        }
                    }
                    let (nexps, mut e) = if self.testnext(T::Ch(b'='))? {
                        self.explist1()?
                    } else {
                        (0, Exp::new(Kind::Void))
                    };
                    self.adjust_assign(n, nexps, &mut e)?;
                    self.adjustlocalvars(n);
                }
            }
            T::Return => {
                self.next()?;
                if !block_follow(self.t.t) && self.t.t != T::Ch(b';') {
                    let (nret, mut e) = self.explist1()?;
                    if e.multret() {
                        self.code(|c| c.setreturns(&e))?;
                    } else if nret == 1 {
                        self.code(|c| c.exp2anyreg(&mut e))?;
                    } else {
                        self.code(|c| c.exp2nextreg(&mut e))?;
                    }
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

    /// `cond`.
    fn cond(&mut self) -> R {
        let mut v = self.expr()?;
        if v.k == Kind::Nil {
            v.k = Kind::False;
        }
        self.code(|c| c.goiftrue(&mut v))
    }

    fn test_then_block(&mut self) -> R {
        self.next()?;
        self.cond()?;
        self.checknext(T::Then)?;
        self.block()
    }

    /// `exp1`.
    fn exp1(&mut self) -> R {
        let mut e = self.expr()?;
        self.code(|c| c.exp2nextreg(&mut e))
    }

    fn forstat(&mut self, line: usize) -> R {
        self.enterblock(true);
        self.next()?;
        let name = self.str_checkname()?;
        match self.t.t {
            T::Ch(b'=') => {
                // `fornum`
                for (n, hidden) in ["(for index)", "(for limit)", "(for step)"]
                    .iter()
                    .enumerate()
                {
                    self.new_localvar(hidden.as_bytes().to_vec(), n)?;
                }
                self.new_localvar(name, 3)?;
                self.checknext(T::Ch(b'='))?;
                self.exp1()?;
                self.checknext(T::Ch(b','))?;
                self.exp1()?;
                if self.testnext(T::Ch(b','))? {
                    self.exp1()?;
                } else {
                    self.code(|c| {
                        c.number_k(1.0)?;
                        c.reserveregs(1)
                    })?;
                }
                self.forbody(1)?;
            }
            T::Ch(b',') | T::In => {
                // `forlist`
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
                let (nexps, mut e) = self.explist1()?;
                self.adjust_assign(3, nexps, &mut e)?;
                self.code(|c| c.checkstack(3))?;
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
        self.code(|c| c.reserveregs(nvars))?;
        self.block()?;
        self.leaveblock();
        Ok(())
    }

    /// `field`: `v.name` (or `v:name` of a `funcname`).
    fn field(&mut self, v: &mut Exp) -> R {
        let table = self.code(|c| c.exp2anyreg(v))?;
        self.next()?;
        let mut key = self.checkname()?;
        self.code(|c| c.indexed(v, table, &mut key))
    }

    /// `exprstat`, with `assignment` as a loop over the targets (`check_conflict` on each
    /// local target).
    fn exprstat(&mut self) -> R {
        let first = self.primaryexp()?;
        if matches!(first.k, Kind::Call(_)) {
            return Ok(());
        }
        let assignable = |e: &Exp| {
            matches!(
                e.k,
                Kind::Local(_) | Kind::Upval | Kind::Global | Kind::Indexed(..)
            )
        };
        let mut targets = vec![first];
        loop {
            if !assignable(&targets[targets.len() - 1]) {
                return Err(self.syntax_error("syntax error"));
            }
            if !self.testnext(T::Ch(b','))? {
                break;
            }
            let nv = self.primaryexp()?;
            if let Kind::Local(reg) = nv.k {
                self.check_conflict(&mut targets, reg)?;
            }
            let nvars = targets.len();
            let limit = self.max_levels.saturating_sub(self.nccalls);
            if nvars > limit {
                let level = self.funcs.len() - 1;
                return Err(self.error_limit(level, limit, "variables in assignment"));
            }
            targets.push(nv);
        }
        self.checknext(T::Ch(b'='))?;
        let (nexps, mut e) = self.explist1()?;
        let nvars = targets.len();
        if nexps == nvars {
            let last = targets[nvars - 1];
            self.code(|c| {
                c.setoneret(&mut e);
                c.storevar(&last, &mut e)
            })?;
        } else {
            self.adjust_assign(nvars, nexps, &mut e)?;
        }
        // The other stores take their values from registers: no register more.
        Ok(())
    }

    /// `check_conflict`: a local assigned after being a table or key of an earlier
    /// target is copied to a register first.
    fn check_conflict(&mut self, targets: &mut [Exp], reg: usize) -> R {
        let extra = self.fs().code.freereg;
        let mut conflict = false;
        for target in targets.iter_mut() {
            if let Kind::Indexed(table, key) = &mut target.k {
                if *table == reg {
                    conflict = true;
                    *table = extra;
                }
                if *key == reg {
                    conflict = true;
                    *key = extra;
                }
            }
        }
        if conflict {
            self.code(|c| c.reserveregs(1))?;
        }
        Ok(())
    }

    /// `body`: the closure, `VRELOCABLE` in the enclosing function.
    fn body(&mut self, needself: bool, line: usize) -> R<Exp> {
        self.funcs.push(Func::new(line, false));
        self.checknext(T::Ch(b'('))?;
        if needself {
            self.new_localvar(b"self".to_vec(), 0)?;
            self.adjustlocalvars(1);
        }
        // `parlist`
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
        let nactvar = self.fs().code.nactvar;
        self.code(|c| c.reserveregs(nactvar))?;
        self.checknext(T::Ch(b')'))?;
        self.chunk()?;
        self.check_match(T::End, T::Function, line)?;
        self.funcs.pop();
        Ok(Exp::new(Kind::Relocable(super::code::Op::Other)))
    }

    // ---- expressions

    /// `explist1`: how many expressions, and the last.
    fn explist1(&mut self) -> R<(usize, Exp)> {
        let mut n = 1;
        let mut v = self.expr()?;
        while self.testnext(T::Ch(b','))? {
            self.code(|c| c.exp2nextreg(&mut v))?;
            v = self.expr()?;
            n += 1;
        }
        Ok((n, v))
    }

    fn expr(&mut self) -> R<Exp> {
        let mut v = Exp::new(Kind::Void);
        self.subexpr(&mut v, 0)?;
        Ok(v)
    }

    /// `subexpr`: returns the binary operator that stopped it.
    fn subexpr(&mut self, v: &mut Exp, limit: u8) -> R<Option<(Bin, u8, u8)>> {
        self.enterlevel()?;
        if let Some(op) = unop(self.t.t) {
            self.next()?;
            self.subexpr(v, UNARY)?;
            self.code(|c| c.prefix(op, v))?;
        } else {
            *v = self.simpleexp()?;
        }
        let mut op = binop(self.t.t);
        let mut chain = 0;
        while let Some((bin, left, right)) = op {
            if left <= limit {
                break;
            }
            chain += 1;
            self.open_chain += 1;
            self.shape.longest_chain = self.shape.longest_chain.max(self.open_chain);
            self.next()?;
            self.code(|c| c.infix(bin, v))?;
            let mut v2 = Exp::new(Kind::Void);
            op = self.subexpr(&mut v2, right)?;
            self.code(|c| c.posfix(bin, v, &mut v2))?;
        }
        self.open_chain -= chain;
        self.leavelevel();
        Ok(op)
    }

    fn simpleexp(&mut self) -> R<Exp> {
        let k = match self.t.t {
            T::Number => Kind::KNum(self.lx.number),
            T::Str => return self.codestring(),
            T::Nil => Kind::Nil,
            T::True => Kind::True,
            T::False => Kind::False,
            T::Dots => {
                if !self.fs().vararg {
                    return Err(self.syntax_error("cannot use '...' outside a vararg function"));
                }
                Kind::Vararg
            }
            T::Ch(b'{') => return self.constructor(),
            T::Function => {
                self.next()?;
                let line = self.lx.line;
                return self.body(false, line);
            }
            _ => return self.primaryexp(),
        };
        self.next()?;
        Ok(Exp::new(k))
    }

    /// `constructor`: the table in a register, list items flushed every
    /// `LFIELDS_PER_FLUSH` (`closelistfield`, `lastlistfield`), each record field's
    /// registers freed after it (`recfield`).
    fn constructor(&mut self) -> R<Exp> {
        let line = self.lx.line;
        let mut t = Exp::new(Kind::Relocable(super::code::Op::Other));
        self.code(|c| c.exp2nextreg(&mut t))?;
        let base = self.fs().code.freereg - 1;
        self.checknext(T::Ch(b'{'))?;
        let mut v = Exp::new(Kind::Void);
        let mut tostore = 0;
        loop {
            if self.t.t == T::Ch(b'}') {
                break;
            }
            // `closelistfield`
            if v.k != Kind::Void {
                self.code(|c| c.exp2nextreg(&mut v))?;
                v = Exp::new(Kind::Void);
                if tostore == LFIELDS_PER_FLUSH {
                    self.fs().code.freereg = base + 1;
                    tostore = 0;
                }
            }
            let record = match self.t.t {
                T::Name => {
                    if self.ahead.is_none() {
                        self.ahead = Some(self.lx.next()?);
                    }
                    self.ahead.as_ref().map(|a| a.t) == Some(T::Ch(b'='))
                }
                T::Ch(b'[') => true,
                _ => false,
            };
            if record {
                // `recfield`
                let reg = self.fs().code.freereg;
                let mut key = if self.t.t == T::Name {
                    self.checkname()?
                } else {
                    self.yindex()?
                };
                self.checknext(T::Ch(b'='))?;
                self.code(|c| c.exp2rk(&mut key))?;
                let mut val = self.expr()?;
                self.code(|c| c.exp2rk(&mut val))?;
                self.fs().code.freereg = reg;
            } else {
                // `listfield`
                v = self.expr()?;
                tostore += 1;
            }
            if !(self.testnext(T::Ch(b','))? || self.testnext(T::Ch(b';'))?) {
                break;
            }
        }
        self.check_match(T::Ch(b'}'), T::Ch(b'{'), line)?;
        // `lastlistfield`
        if tostore > 0 {
            if v.multret() {
                self.code(|c| c.setreturns(&v))?;
            } else if v.k != Kind::Void {
                self.code(|c| c.exp2nextreg(&mut v))?;
            }
            self.fs().code.freereg = base + 1;
        }
        Ok(t)
    }

    /// `yindex`: the key.
    fn yindex(&mut self) -> R<Exp> {
        self.next()?;
        let mut v = self.expr()?;
        self.code(|c| c.exp2val(&mut v))?;
        self.checknext(T::Ch(b']'))?;
        Ok(v)
    }

    /// `primaryexp` (with `prefixexp`).
    fn primaryexp(&mut self) -> R<Exp> {
        let mut v = match self.t.t {
            T::Ch(b'(') => {
                let line = self.lx.line;
                self.next()?;
                let mut v = self.expr()?;
                self.check_match(T::Ch(b')'), T::Ch(b'('), line)?;
                self.fs().code.dischargevars(&mut v);
                v
            }
            T::Name => self.singlevar()?,
            _ => return Err(self.syntax_error("unexpected symbol")),
        };
        loop {
            match self.t.t {
                T::Ch(b'.') => self.field(&mut v)?,
                T::Ch(b'[') => {
                    let table = self.code(|c| c.exp2anyreg(&mut v))?;
                    let mut key = self.yindex()?;
                    self.code(|c| c.indexed(&mut v, table, &mut key))?;
                }
                T::Ch(b':') => {
                    self.next()?;
                    let mut key = self.checkname()?;
                    self.code(|c| c.self_(&mut v, &mut key))?;
                    self.funcargs(&mut v)?;
                }
                T::Ch(b'(' | b'{') | T::Str => {
                    self.code(|c| c.exp2nextreg(&mut v))?;
                    self.funcargs(&mut v)?;
                }
                _ => return Ok(v),
            }
        }
    }

    /// `funcargs`: `f` is in its register; the call leaves one value there.
    fn funcargs(&mut self, f: &mut Exp) -> R {
        let line = self.lx.line;
        let mut args = match self.t.t {
            T::Ch(b'(') => {
                if line != self.lastline {
                    return Err(
                        self.syntax_error("ambiguous syntax (function call x new statement)")
                    );
                }
                self.next()?;
                let args = if self.t.t == T::Ch(b')') {
                    Exp::new(Kind::Void)
                } else {
                    let (_, args) = self.explist1()?;
                    self.code(|c| c.setreturns(&args))?;
                    args
                };
                self.check_match(T::Ch(b')'), T::Ch(b'('), line)?;
                args
            }
            T::Ch(b'{') => self.constructor()?,
            T::Str => self.codestring()?,
            _ => return Err(self.syntax_error("function arguments expected")),
        };
        // `f` is `VNONRELOC` here (`luaK_self` or `luaK_exp2nextreg` put it there).
        let base = match f.k {
            Kind::NonReloc(base) => base,
            _ => self.fs().code.freereg.saturating_sub(1),
        };
        if !args.multret() && args.k != Kind::Void {
            self.code(|c| c.exp2nextreg(&mut args))?;
        }
        self.fs().code.freereg = base + 1;
        *f = Exp::new(Kind::Call(base));
        Ok(())
    }
}
