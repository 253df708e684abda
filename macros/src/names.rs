//! The one rule that turns names written in files into Rust names: split into words at
//! `_`, `-`, `.` (any non-alphanumeric character), at lower-to-upper case changes
//! (`changeMessageVisibility`) and at the end of an acronym (`HTTPServer` → `HTTP`,
//! `Server`); then join the words as UpperCamelCase for types ([`upper_camel`]) or
//! snake_case for methods ([`snake`]). Also which names Rust reserves ([`is_keyword`]) and
//! which are identifiers ([`is_ident`]). A leaf: both macros name things only through it.

/// The words of `name`: `moveToFinished-9` → `move`, `To`, `Finished`, `9`.
pub(crate) fn words(name: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let chars: Vec<(usize, char)> = part.char_indices().collect();
        let mut start = 0;
        for i in 1..chars.len() {
            let (at, c) = chars[i];
            let prev = chars[i - 1].1;
            let next = chars.get(i + 1).map(|&(_, n)| n);
            let lower_to_upper =
                (prev.is_ascii_lowercase() || prev.is_ascii_digit()) && c.is_ascii_uppercase();
            let acronym_end = prev.is_ascii_uppercase()
                && c.is_ascii_uppercase()
                && next.is_some_and(|n| n.is_ascii_lowercase());
            if lower_to_upper || acronym_end {
                out.push(&part[start..at]);
                start = at;
            }
        }
        if start < part.len() {
            out.push(&part[start..]);
        }
    }
    out
}

/// The type name for a file stem: `rate-limit` → `RateLimit`, `changeMessageVisibility`
/// → `ChangeMessageVisibility`, `moveToFinished-9` → `MoveToFinished9`, `HTTP_get` →
/// `HttpGet`. A name that would start with a digit gets a `Script` prefix.
pub(crate) fn upper_camel(name: &str) -> String {
    let mut out = String::new();
    for word in words(name) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars.map(|c| c.to_ascii_lowercase()));
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "Script");
    }
    out
}

/// The method name for a function name: `formatTS` → `format_ts`, `getUserByID` →
/// `get_user_by_id`, `HTTPGet` → `http_get`. Each run of letters and digits is split into
/// [`words`] and joined with `_`; what separates the runs (`_`) is kept as written, so a
/// name that already is snake_case (`_private`, `move_to_v2`) stays as it is, as DESIGN.md
/// says (only names that are not snake_case become snake_case).
pub(crate) fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut rest = name;
    while !rest.is_empty() {
        let run = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        let words: Vec<String> = words(&rest[..run])
            .iter()
            .map(|w| w.to_ascii_lowercase())
            .collect();
        out.push_str(&words.join("_"));
        let sep = rest[run..].chars().next().map_or(0, char::len_utf8);
        out.push_str(&rest[run..run + sep]);
        rest = &rest[run + sep..];
    }
    out
}

/// Whether `s` is a Rust keyword (strict, reserved or edition-dependent), which cannot
/// name a parameter and names a method only as a raw identifier.
pub(crate) fn is_keyword(s: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn",
        "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
        "return", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
        "where", "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final",
        "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
    ];
    KEYWORDS.contains(&s)
}

/// Whether `s` is an ASCII Rust identifier other than `_`.
pub(crate) fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
        && s != "_"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_from_stems() {
        assert_eq!(upper_camel("rate_limit"), "RateLimit");
        assert_eq!(upper_camel("rate-limit"), "RateLimit");
        assert_eq!(upper_camel("HTTP_get"), "HttpGet");
        assert_eq!(upper_camel("2fa"), "Script2fa");
        assert_eq!(
            upper_camel("changeMessageVisibility"),
            "ChangeMessageVisibility"
        );
        assert_eq!(upper_camel("moveToFinished-9"), "MoveToFinished9");
        assert_eq!(upper_camel("addStandardJob-9"), "AddStandardJob9");
        assert_eq!(upper_camel("HTTPServer"), "HttpServer");
        assert_eq!(upper_camel("getJobScheduler-1"), "GetJobScheduler1");
        assert_eq!(upper_camel("lock.v2"), "LockV2");
    }

    #[test]
    fn method_names() {
        assert_eq!(snake("formatTS"), "format_ts");
        assert_eq!(snake("moveToFinished"), "move_to_finished");
        assert_eq!(snake("already_snake"), "already_snake");
        assert_eq!(snake("getHTTPHeaders"), "get_http_headers");
        assert_eq!(snake("getUserByID"), "get_user_by_id");
        assert_eq!(snake("HTTPGet"), "http_get");
        assert_eq!(snake("push"), "push");
        assert_eq!(snake("move_to_v2"), "move_to_v2");
    }

    /// The rule `include_library!` has always applied (it named the methods before this
    /// module held it): a name that already is snake_case keeps its underscores, leading,
    /// doubled or trailing, so `_private` and `private` stay two methods.
    #[test]
    fn snake_case_names_keep_their_underscores() {
        assert_eq!(snake("_private"), "_private");
        assert_eq!(snake("a__b"), "a__b");
        assert_eq!(snake("trailing_"), "trailing_");
        assert_eq!(snake("_"), "_");
        assert_eq!(snake("_formatTS"), "_format_ts");
        assert_eq!(snake("get2FA"), "get2_fa");
    }
}
