//! `luaO_str2d`: whether a numeral token is a number, as the servers' Lua decides it with
//! C's `strtod` (glibc: decimal and hexadecimal, `0x1p4` included) and, when `strtod`
//! stops at an `x`, `strtoul(.., 16)`. Only full consumption counts.

/// C's `isspace` in the "C" locale.
pub(crate) fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// How many bytes of `s` C's `strtod` consumes (for `s` starting with a digit or `.`).
fn strtod_len(s: &[u8]) -> usize {
    let hex = |c: &u8| c.is_ascii_hexdigit();
    let dec = |c: &u8| c.is_ascii_digit();
    if s.len() > 2 && s[0] == b'0' && matches!(s[1], b'x' | b'X') {
        let int = s[2..].iter().take_while(|c| hex(c)).count();
        let mut i = 2 + int;
        let mut frac = 0;
        if s.get(i) == Some(&b'.') {
            frac = s[i + 1..].iter().take_while(|c| hex(c)).count();
            if int + frac > 0 {
                i += 1 + frac;
            }
        }
        if int + frac > 0 {
            return i + exponent(&s[i..], b'p');
        }
        return 1; // "0", then `x`
    }
    let int = s.iter().take_while(|c| dec(c)).count();
    let mut i = int;
    let mut frac = 0;
    if s.get(i) == Some(&b'.') {
        frac = s[i + 1..].iter().take_while(|c| dec(c)).count();
        if int + frac > 0 {
            i += 1 + frac;
        }
    }
    if int + frac == 0 {
        return 0;
    }
    i + exponent(&s[i..], b'e')
}

/// The length of an exponent (`e+12`, `p-3`) at the start of `s`, or 0.
fn exponent(s: &[u8], letter: u8) -> usize {
    if s.first().map(u8::to_ascii_lowercase) != Some(letter) {
        return 0;
    }
    let sign = usize::from(matches!(s.get(1), Some(b'+' | b'-')));
    let digits = s[1 + sign..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits == 0 { 0 } else { 1 + sign + digits }
}

/// `strtoul(s, &end, 16)`: how many bytes it consumes.
fn strtoul16_len(s: &[u8]) -> usize {
    let prefixed =
        s.len() > 2 && s[0] == b'0' && matches!(s[1], b'x' | b'X') && s[2].is_ascii_hexdigit();
    let from = if prefixed { 2 } else { 0 };
    let digits = s[from..]
        .iter()
        .take_while(|c| c.is_ascii_hexdigit())
        .count();
    if digits == 0 { 0 } else { from + digits }
}

/// Whether the numeral `s` reads as a number (`luaO_str2d`).
pub(crate) fn str2d(s: &[u8]) -> bool {
    let mut end = strtod_len(s);
    if end == 0 {
        return false;
    }
    if matches!(s.get(end), Some(b'x' | b'X')) {
        end = strtoul16_len(s);
    }
    s[end..].iter().all(|&c| is_space(c))
}

#[cfg(test)]
mod tests {
    use super::str2d;

    #[test]
    fn numerals_as_strtod_reads_them() {
        for ok in [
            "1", "1.", ".5", "1e5", "1E+5", "1.5e-3", "0x1F", "0xA.8", "0x1p4", "08",
        ] {
            assert!(str2d(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "1e", "0x", "0xg", "1..2", "1.2.3", "3x", "1e+", "0x.", "12abc",
        ] {
            assert!(!str2d(bad.as_bytes()), "{bad}");
        }
    }
}
