//! The one rule that turns names written in files into Rust names: split into words at
//! `_`, `-`, `.` (any non-alphanumeric character), at lower-to-upper case changes
//! (`changeMessageVisibility`) and at the end of an acronym (`HTTPServer` → `HTTP`,
//! `Server`); then join the words as UpperCamelCase for types or snake_case for methods.

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

/// The method name for a name written in a file: `formatTS` → `format_ts`,
/// `moveToFinished` → `move_to_finished`.
#[allow(dead_code)] // for `include_library!`'s function names
pub(crate) fn snake(name: &str) -> String {
    words(name)
        .iter()
        .map(|w| w.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("_")
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
    }
}
