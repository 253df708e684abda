//! `escape`: `\x41`, `\u{20AC}` and `\z` in a quoted string. They are Lua 5.2/5.3 escapes;
//! the Lua 5.1 of Redis reads `\x` as the letter `x`, so `'\x41'` is the three letters
//! `x41`, silently. Long strings (`[[...]]`) have no escapes and are left alone.

use super::{Context, Finding};

pub(crate) fn check(cx: &Context, out: &mut Vec<Finding>) {
    for string in &cx.facts.escaped {
        scan(&string.text, string.pos.line, string.pos.col + 1, out);
    }
}

/// Finds the escapes Lua 5.1 does not have in the text between the quotes, which starts
/// at `line`:`col`.
fn scan(text: &str, mut line: usize, mut col: usize, out: &mut Vec<Finding>) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            line += 1;
            col = 1;
            continue;
        }
        if c != '\\' {
            col += 1;
            continue;
        }
        let at = col;
        col += 1;
        let Some(next) = chars.next() else { break };
        col += 1;
        let rest: String = chars.clone().take(12).collect();
        let message = match next {
            'x' => {
                let hex: String = rest
                    .chars()
                    .take(2)
                    .take_while(char::is_ascii_hexdigit)
                    .collect();
                let fix = u8::from_str_radix(&hex, 16)
                    .ok()
                    .filter(|_| hex.len() == 2)
                    .map(|b| format!("; write `\\{b}` (Lua 5.1 escapes are decimal)"))
                    .unwrap_or_default();
                format!(
                    "`\\x{hex}` is not an escape in Lua 5.1, the Lua of Redis: the string holds \
                     the letters `x{hex}`{fix}"
                )
            }
            'u' if rest.starts_with('{') => {
                let digits: String = rest[1..]
                    .chars()
                    .take_while(char::is_ascii_hexdigit)
                    .collect();
                let fix = u32::from_str_radix(&digits, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .map(|ch| {
                        let mut buf = [0u8; 4];
                        let bytes: String = ch
                            .encode_utf8(&mut buf)
                            .bytes()
                            .map(|b| format!("\\{b}"))
                            .collect();
                        format!("; write its UTF-8 bytes `{bytes}` or the character itself")
                    })
                    .unwrap_or_default();
                format!(
                    "`\\u{{{digits}}}` is not an escape in Lua 5.1, the Lua of Redis: the string \
                     holds the letters `u{{{digits}}}`{fix}"
                )
            }
            'z' => "`\\z` is not an escape in Lua 5.1, the Lua of Redis: the string holds the \
                    letter `z` and keeps the whitespace after it"
                .to_owned(),
            '\n' => {
                line += 1;
                col = 1;
                continue;
            }
            _ => continue,
        };
        out.push(Finding {
            line,
            col: at,
            message,
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::problems;

    #[test]
    fn lua_52_escapes_in_quoted_strings() {
        let p = problems("local a = '\\x41'\nlocal b = \"\\u{20AC} \\z\"\nreturn a .. b");
        assert_eq!(p.len(), 3, "{p:#?}");
        assert!(
            p[0].starts_with("1:12: `\\x41` is not an escape"),
            "{}",
            p[0]
        );
        assert!(p[0].contains("write `\\65`"), "{}", p[0]);
        assert!(p[1].contains("`\\226\\130\\172`"), "{}", p[1]);
        assert!(p[2].starts_with("2:21: `\\z`"), "{}", p[2]);
    }

    #[test]
    fn lua_51_escapes_long_strings_and_comments_pass() {
        let code = "-- '\\x41'\nlocal a = '\\65\\n\\\\x41\\''\nlocal b = [[\\x41]]\nreturn a .. b";
        assert_eq!(problems(code), Vec::<String>::new());
    }
}
