//! The register accounting of Lua 5.1's code generator (`lcode.c`), without the code:
//! which registers each expression holds while the parser reads on, so that "function or
//! expression too complex" (`luaK_checkstack`: 250 registers per function) is refused at
//! the token where the server refuses it; and the constants of each function, so that
//! "constant table overflow" (262143 of them) is refused too.
//!
//! Only what moves `freereg` is kept: the `expdesc` kinds and the register an expression
//! sits in, whether its true/false jump lists are empty (`hasjumps`, `isnumeral`), the
//! opcode of a `VRELOCABLE` expression where `lcode.c` looks at it (`OP_CONCAT` merges a
//! `..` chain, `OP_NOT` is removed by a jump), and the constants of each function
//! (`addk`: their count decides whether an operand is a constant or takes a register,
//! `MAXINDEXRK`). Jump lists, instructions and line information are not kept. Nothing
//! here recurses.

use std::collections::HashMap;

/// `MAXSTACK` (llimits.h): registers per function.
const MAXSTACK: usize = 250;
/// `MAXINDEXRK` (lopcodes.h): the last constant an instruction operand can name.
const MAXINDEXRK: usize = 255;
/// `BITRK` (lopcodes.h): marks an operand that names a constant.
const BITRK: usize = 256;
/// `LFIELDS_PER_FLUSH` (lopcodes.h): list items a constructor keeps in registers.
pub(super) const LFIELDS_PER_FLUSH: usize = 50;
/// `MAXARG_Bx` (lopcodes.h): the size `addk` cannot grow the constants past.
const MAXARG_BX: usize = (1 << 18) - 1;

/// A limit of the code generator, refused.
pub(super) enum Limit {
    /// `luaK_checkstack`: "function or expression too complex".
    Registers,
    /// `addk`'s `luaM_growvector`: "constant table overflow" (a runtime error, the
    /// servers name no line).
    Constants,
}

type C<T = ()> = Result<T, Limit>;

/// The opcode of a `VRELOCABLE` expression's instruction, where `lcode.c` reads it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Op {
    /// `OP_CONCAT` (`luaK_posfix` merges `a .. (b .. c)`).
    Concat,
    /// `OP_NOT` (`jumponcond` removes it).
    Not,
    /// Any other.
    Other,
}

/// `expkind`, with the `info`/`aux` registers and constants where they matter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Kind {
    /// `VVOID`: no value (an empty list).
    Void,
    /// `VNIL`.
    Nil,
    /// `VTRUE`.
    True,
    /// `VFALSE`.
    False,
    /// `VK`: the constant's index.
    K(usize),
    /// `VKNUM`: a numeral not yet in the constants.
    KNum(f64),
    /// `VLOCAL`: the local's register.
    Local(usize),
    /// `VUPVAL`.
    Upval,
    /// `VGLOBAL`.
    Global,
    /// `VINDEXED`: the table's register and the key's (a register or `BITRK` + constant).
    Indexed(usize, usize),
    /// `VJMP`: a comparison, a jump.
    Jmp,
    /// `VRELOCABLE`: an instruction whose target register is still open.
    Relocable(Op),
    /// `VNONRELOC`: a value in this register.
    NonReloc(usize),
    /// `VCALL`: a call whose function sits in this register.
    Call(usize),
    /// `VVARARG`.
    Vararg,
}

/// `expdesc`: the kind and whether the `t` and `f` jump lists are non-empty.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Exp {
    /// `k`, with `u.s.info`/`u.s.aux`/`u.nval` where they matter.
    pub(super) k: Kind,
    /// `t != NO_JUMP`: jumps taken when the expression is true.
    pub(super) t: bool,
    /// `f != NO_JUMP`: jumps taken when it is false.
    pub(super) f: bool,
}

impl Exp {
    /// `init_exp`.
    pub(super) fn new(k: Kind) -> Self {
        Exp {
            k,
            t: false,
            f: false,
        }
    }

    /// `hasjumps`.
    fn hasjumps(&self) -> bool {
        self.t || self.f
    }

    /// `isnumeral`: a numeral without jumps; its value.
    fn numeral(&self) -> Option<f64> {
        match self.k {
            Kind::KNum(v) if !self.hasjumps() => Some(v),
            _ => None,
        }
    }

    /// `hasmultret` (lparser.c).
    pub(super) fn multret(&self) -> bool {
        matches!(self.k, Kind::Call(_) | Kind::Vararg)
    }
}

/// `UnOpr`.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Un {
    Minus,
    Not,
    Len,
}

/// `BinOpr`.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Bin {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Concat,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

/// The arithmetic opcodes of `constfolding` and `codearith`.
#[derive(Clone, Copy, PartialEq)]
enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Unm,
    Len,
    Concat,
}

/// A key of the constants table `fs->h`: `addk` finds an equal constant there.
#[derive(Hash, PartialEq, Eq)]
enum Key {
    /// A number, by value (`0` and `-0` are one key, as in a Lua table).
    Num(u64),
    True,
    False,
    /// `nilK`: nil, keyed by the table itself.
    Nil,
}

/// The parts of `FuncState` that the code generator keeps for registers.
#[derive(Default)]
pub(super) struct Code {
    /// `fs->nactvar`: active locals, the registers below them are theirs.
    pub(super) nactvar: usize,
    /// `fs->freereg`: the first free register.
    pub(super) freereg: usize,
    /// `fs->h`, strings: the index of each string constant.
    strings: HashMap<Vec<u8>, usize>,
    /// `fs->h`, the other constants.
    others: HashMap<Key, usize>,
}

impl Code {
    /// `fs->nk`: the constants so far.
    fn nk(&self) -> usize {
        self.strings.len() + self.others.len()
    }

    /// `luaK_checkstack`.
    pub(super) fn checkstack(&mut self, n: usize) -> C {
        if self.freereg + n >= MAXSTACK {
            return Err(Limit::Registers);
        }
        Ok(())
    }

    /// `luaK_reserveregs`.
    pub(super) fn reserveregs(&mut self, n: usize) -> C {
        self.checkstack(n)?;
        self.freereg += n;
        Ok(())
    }

    /// `freereg`.
    fn freereg(&mut self, reg: usize) {
        if reg & BITRK == 0 && reg >= self.nactvar {
            self.freereg -= 1;
        }
    }

    /// `freeexp`.
    fn freeexp(&mut self, e: &Exp) {
        if let Kind::NonReloc(reg) = e.k {
            self.freereg(reg);
        }
    }

    /// `addk`'s new entry: its index, unless the constants are full.
    fn new_k(&self) -> C<usize> {
        let nk = self.nk();
        if nk >= MAXARG_BX {
            return Err(Limit::Constants);
        }
        Ok(nk)
    }

    /// `addk` for the non-string constants.
    fn addk(&mut self, key: Key) -> C<usize> {
        if let Some(&i) = self.others.get(&key) {
            return Ok(i);
        }
        let nk = self.new_k()?;
        self.others.insert(key, nk);
        Ok(nk)
    }

    /// `luaK_stringK`.
    pub(super) fn string_k(&mut self, s: &[u8]) -> C<usize> {
        if let Some(&i) = self.strings.get(s) {
            return Ok(i);
        }
        let nk = self.new_k()?;
        self.strings.insert(s.to_vec(), nk);
        Ok(nk)
    }

    /// `luaK_numberK`.
    pub(super) fn number_k(&mut self, v: f64) -> C<usize> {
        let v = if v == 0.0 { 0.0 } else { v };
        self.addk(Key::Num(v.to_bits()))
    }

    /// `luaK_setreturns` (`luaK_setmultret` with `LUA_MULTRET`).
    pub(super) fn setreturns(&mut self, e: &Exp) -> C {
        if e.k == Kind::Vararg {
            self.reserveregs(1)?;
        }
        Ok(())
    }

    /// `luaK_setoneret`.
    pub(super) fn setoneret(&mut self, e: &mut Exp) {
        match e.k {
            Kind::Call(base) => e.k = Kind::NonReloc(base),
            Kind::Vararg => e.k = Kind::Relocable(Op::Other),
            _ => {}
        }
    }

    /// `luaK_dischargevars`.
    pub(super) fn dischargevars(&mut self, e: &mut Exp) {
        match e.k {
            Kind::Local(reg) => e.k = Kind::NonReloc(reg),
            Kind::Upval | Kind::Global => e.k = Kind::Relocable(Op::Other),
            Kind::Indexed(table, key) => {
                self.freereg(key);
                self.freereg(table);
                e.k = Kind::Relocable(Op::Other);
            }
            Kind::Vararg | Kind::Call(_) => self.setoneret(e),
            _ => {}
        }
    }

    /// `discharge2reg`.
    fn discharge2reg(&mut self, e: &mut Exp, reg: usize) -> C {
        self.dischargevars(e);
        match e.k {
            Kind::KNum(v) => {
                self.number_k(v)?;
            }
            Kind::Void | Kind::Jmp => return Ok(()),
            _ => {}
        }
        e.k = Kind::NonReloc(reg);
        Ok(())
    }

    /// `discharge2anyreg`.
    fn discharge2anyreg(&mut self, e: &mut Exp) -> C {
        if !matches!(e.k, Kind::NonReloc(_)) {
            self.reserveregs(1)?;
            self.discharge2reg(e, self.freereg - 1)?;
        }
        Ok(())
    }

    /// `exp2reg`: the jumps land in `reg` too.
    fn exp2reg(&mut self, e: &mut Exp, reg: usize) -> C {
        self.discharge2reg(e, reg)?;
        *e = Exp::new(Kind::NonReloc(reg));
        Ok(())
    }

    /// `luaK_exp2nextreg`.
    pub(super) fn exp2nextreg(&mut self, e: &mut Exp) -> C {
        self.dischargevars(e);
        self.freeexp(e);
        self.reserveregs(1)?;
        self.exp2reg(e, self.freereg - 1)
    }

    /// `luaK_exp2anyreg`: the register.
    pub(super) fn exp2anyreg(&mut self, e: &mut Exp) -> C<usize> {
        self.dischargevars(e);
        if let Kind::NonReloc(reg) = e.k {
            if !e.hasjumps() {
                return Ok(reg);
            }
            if reg >= self.nactvar {
                self.exp2reg(e, reg)?;
                return Ok(reg);
            }
        }
        self.exp2nextreg(e)?;
        Ok(self.freereg - 1)
    }

    /// `luaK_exp2val`.
    pub(super) fn exp2val(&mut self, e: &mut Exp) -> C {
        if e.hasjumps() {
            self.exp2anyreg(e)?;
        } else {
            self.dischargevars(e);
        }
        Ok(())
    }

    /// `luaK_exp2RK`: a register, or `BITRK` + a constant.
    pub(super) fn exp2rk(&mut self, e: &mut Exp) -> C<usize> {
        self.exp2val(e)?;
        match e.k {
            Kind::KNum(_) | Kind::True | Kind::False | Kind::Nil if self.nk() <= MAXINDEXRK => {
                let i = match e.k {
                    Kind::Nil => self.addk(Key::Nil)?,
                    Kind::KNum(v) => self.number_k(v)?,
                    Kind::True => self.addk(Key::True)?,
                    _ => self.addk(Key::False)?,
                };
                e.k = Kind::K(i);
                return Ok(i | BITRK);
            }
            Kind::K(i) if i <= MAXINDEXRK => return Ok(i | BITRK),
            _ => {}
        }
        self.exp2anyreg(e)
    }

    /// `luaK_storevar`.
    pub(super) fn storevar(&mut self, var: &Exp, ex: &mut Exp) -> C {
        match var.k {
            Kind::Local(reg) => {
                self.freeexp(ex);
                return self.exp2reg(ex, reg);
            }
            Kind::Upval | Kind::Global => {
                self.exp2anyreg(ex)?;
            }
            Kind::Indexed(..) => {
                self.exp2rk(ex)?;
            }
            _ => {}
        }
        self.freeexp(ex);
        Ok(())
    }

    /// `luaK_self`: `e:key`, the function and `self` in two registers.
    pub(super) fn self_(&mut self, e: &mut Exp, key: &mut Exp) -> C {
        self.exp2anyreg(e)?;
        self.freeexp(e);
        let func = self.freereg;
        self.reserveregs(2)?;
        self.exp2rk(key)?;
        self.freeexp(key);
        *e = Exp::new(Kind::NonReloc(func));
        Ok(())
    }

    /// `jumponcond`: whether it coded a jump (it always does).
    fn jumponcond(&mut self, e: &mut Exp) -> C {
        if e.k == Kind::Relocable(Op::Not) {
            return Ok(());
        }
        self.discharge2anyreg(e)?;
        self.freeexp(e);
        Ok(())
    }

    /// `luaK_goiftrue`.
    pub(super) fn goiftrue(&mut self, e: &mut Exp) -> C {
        self.dischargevars(e);
        let jump = match e.k {
            Kind::K(_) | Kind::KNum(_) | Kind::True => false,
            Kind::Jmp => true,
            _ => {
                self.jumponcond(e)?;
                true
            }
        };
        e.f |= jump;
        e.t = false;
        Ok(())
    }

    /// `luaK_goiffalse`.
    fn goiffalse(&mut self, e: &mut Exp) -> C {
        self.dischargevars(e);
        let jump = match e.k {
            Kind::Nil | Kind::False => false,
            Kind::Jmp => true,
            _ => {
                self.jumponcond(e)?;
                true
            }
        };
        e.t |= jump;
        e.f = false;
        Ok(())
    }

    /// `codenot`.
    fn codenot(&mut self, e: &mut Exp) -> C {
        self.dischargevars(e);
        match e.k {
            Kind::Nil | Kind::False => e.k = Kind::True,
            Kind::K(_) | Kind::KNum(_) | Kind::True => e.k = Kind::False,
            Kind::Relocable(_) | Kind::NonReloc(_) => {
                self.discharge2anyreg(e)?;
                self.freeexp(e);
                e.k = Kind::Relocable(Op::Not);
            }
            _ => {}
        }
        std::mem::swap(&mut e.t, &mut e.f);
        Ok(())
    }

    /// `luaK_indexed`: `t[k]`, `t` in register `table`.
    pub(super) fn indexed(&mut self, t: &mut Exp, table: usize, k: &mut Exp) -> C {
        let key = self.exp2rk(k)?;
        t.k = Kind::Indexed(table, key);
        Ok(())
    }

    /// `codearith`, with `constfolding`.
    fn codearith(&mut self, op: Arith, e1: &mut Exp, e2: &mut Exp) -> C {
        if let Some(v) = constfolding(op, e1, e2) {
            e1.k = Kind::KNum(v);
            return Ok(());
        }
        if !matches!(op, Arith::Unm | Arith::Len) {
            self.exp2rk(e2)?;
        }
        self.exp2rk(e1)?;
        self.freeexp(e1);
        self.freeexp(e2);
        let code = if op == Arith::Concat {
            Op::Concat
        } else {
            Op::Other
        };
        e1.k = Kind::Relocable(code);
        Ok(())
    }

    /// `codecomp`.
    fn codecomp(&mut self, e1: &mut Exp, e2: &mut Exp) -> C {
        self.exp2rk(e1)?;
        self.exp2rk(e2)?;
        self.freeexp(e2);
        self.freeexp(e1);
        e1.k = Kind::Jmp;
        Ok(())
    }

    /// `luaK_prefix`.
    pub(super) fn prefix(&mut self, op: Un, e: &mut Exp) -> C {
        let mut zero = Exp::new(Kind::KNum(0.0));
        match op {
            Un::Minus => {
                if e.numeral().is_none() {
                    self.exp2anyreg(e)?;
                }
                self.codearith(Arith::Unm, e, &mut zero)
            }
            Un::Not => self.codenot(e),
            Un::Len => {
                self.exp2anyreg(e)?;
                self.codearith(Arith::Len, e, &mut zero)
            }
        }
    }

    /// `luaK_infix`: after the operator is read.
    pub(super) fn infix(&mut self, op: Bin, v: &mut Exp) -> C {
        match op {
            Bin::And => self.goiftrue(v),
            Bin::Or => self.goiffalse(v),
            Bin::Concat => self.exp2nextreg(v),
            Bin::Add | Bin::Sub | Bin::Mul | Bin::Div | Bin::Mod | Bin::Pow => {
                if v.numeral().is_none() {
                    self.exp2rk(v)?;
                }
                Ok(())
            }
            _ => self.exp2rk(v).map(|_| ()),
        }
    }

    /// `luaK_posfix`: after the second operand is read.
    pub(super) fn posfix(&mut self, op: Bin, e1: &mut Exp, e2: &mut Exp) -> C {
        let arith = match op {
            Bin::And => {
                self.dischargevars(e2);
                e2.f |= e1.f;
                *e1 = *e2;
                return Ok(());
            }
            Bin::Or => {
                self.dischargevars(e2);
                e2.t |= e1.t;
                *e1 = *e2;
                return Ok(());
            }
            Bin::Concat => {
                self.exp2val(e2)?;
                if e2.k == Kind::Relocable(Op::Concat) {
                    self.freeexp(e1);
                    e1.k = Kind::Relocable(Op::Concat);
                    return Ok(());
                }
                self.exp2nextreg(e2)?;
                Arith::Concat
            }
            Bin::Add => Arith::Add,
            Bin::Sub => Arith::Sub,
            Bin::Mul => Arith::Mul,
            Bin::Div => Arith::Div,
            Bin::Mod => Arith::Mod,
            Bin::Pow => Arith::Pow,
            _ => return self.codecomp(e1, e2),
        };
        self.codearith(arith, e1, e2)
    }
}

/// `constfolding`: the folded value, if any (none for `#`, `..`, a division or modulo by
/// zero, or a NaN).
fn constfolding(op: Arith, e1: &Exp, e2: &Exp) -> Option<f64> {
    let (v1, v2) = (e1.numeral()?, e2.numeral()?);
    let r = match op {
        Arith::Add => v1 + v2,
        Arith::Sub => v1 - v2,
        Arith::Mul => v1 * v2,
        Arith::Div if v2 != 0.0 => v1 / v2,
        Arith::Mod if v2 != 0.0 => v1 - (v1 / v2).floor() * v2,
        Arith::Pow => v1.powf(v2),
        Arith::Unm => -v1,
        _ => return None,
    };
    (!r.is_nan()).then_some(r)
}
