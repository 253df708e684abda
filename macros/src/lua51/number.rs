//! `luaO_str2d`: whether a numeral token is a number, and its value, as the servers' Lua
//! reads it with C's `strtod` (glibc: decimal and hexadecimal, `0x1p4` included) and, when
//! `strtod` stops at an `x`, `strtoul(.., 16)`. Only full consumption counts.

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

/// The value of the numeral `s`, if it reads as a number (`luaO_str2d`).
pub(crate) fn str2d(s: &[u8]) -> Option<f64> {
    let mut end = strtod_len(s);
    if end == 0 {
        return None;
    }
    if matches!(s.get(end), Some(b'x' | b'X')) {
        end = strtoul16_len(s);
    }
    s[end..].iter().all(|&c| is_space(c)).then(|| value(s))
}

/// The value of a numeral [`str2d`] accepts, as `strtod` reads it: decimal numerals
/// correctly rounded (as glibc's); hexadecimal ones (`0x1F`, `0x1.8p3`) exact up to 64
/// significant bits, which is all a constant-folding or constant-deduplication question
/// ever sees in practice.
fn value(s: &[u8]) -> f64 {
    let end = s.len() - s.iter().rev().take_while(|&&c| is_space(c)).count();
    let s = &s[..end];
    if s.len() > 2 && s[0] == b'0' && matches!(s[1], b'x' | b'X') {
        let mut mantissa = 0u64;
        let mut exp = 0i64;
        let mut i = 2;
        let mut after_point = false;
        while i < s.len() {
            let c = s[i];
            if c == b'.' {
                after_point = true;
            } else if let Some(d) = (c as char).to_digit(16) {
                if mantissa >> 60 == 0 {
                    mantissa = mantissa * 16 + u64::from(d);
                    if after_point {
                        exp -= 4;
                    }
                } else if !after_point {
                    exp += 4;
                }
            } else {
                break;
            }
            i += 1;
        }
        if i < s.len() && matches!(s[i], b'p' | b'P') {
            let e = std::str::from_utf8(&s[i + 1..])
                .ok()
                .and_then(|e| e.parse::<i64>().ok())
                .unwrap_or(0);
            exp = exp.saturating_add(e);
        }
        let exp = i32::try_from(exp.clamp(-2000, 2000)).unwrap_or(0);
        // Two steps, so that 2^exp itself stays within f64 where the product does.
        let half = exp / 2;
        return mantissa as f64 * 2f64.powi(half) * 2f64.powi(exp - half);
    }
    std::str::from_utf8(s)
        .ok()
        .and_then(|t| t.parse::<f64>().ok())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::str2d;

    #[test]
    fn numerals_as_strtod_reads_them() {
        for ok in [
            "1", "1.", ".5", "1e5", "1E+5", "1.5e-3", "0x1F", "0xA.8", "0x1p4", "08",
        ] {
            assert!(str2d(ok.as_bytes()).is_some(), "{ok}");
        }
        for bad in [
            "1e", "0x", "0xg", "1..2", "1.2.3", "3x", "1e+", "0x.", "12abc",
        ] {
            assert!(str2d(bad.as_bytes()).is_none(), "{bad}");
        }
    }
}
