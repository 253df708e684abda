//! The body `FUNCTION LOAD` is sent: for a versioned library, `name=` and every function
//! name get the version suffix (each line kept in its place); for `versioned = false`, the
//! file as it is but for Valkey's `server.register_function`.

use super::Library;

/// The name of the local helper that replaces `redis.register_function` in the loaded
/// body of a versioned library.
const HELPER: &str = "__evalsha_register";

/// The body `FUNCTION LOAD` is sent for a versioned library: `name=` becomes
/// `loaded_name`, and each `redis.register_function` a local helper (defined at the start
/// of line 2) that appends `suffix` to the function's name. Every line stays where it is,
/// so the server's `user_function:N` is line N of the file.
pub(super) fn loaded_body(
    text: &str,
    library: &Library,
    loaded_name: &str,
    suffix: &str,
) -> String {
    let first_end = text.find('\n').unwrap_or(text.len());
    let cr = if text[..first_end].ends_with('\r') {
        "\r"
    } else {
        ""
    };
    let mut out = format!("#!lua name={loaded_name}{cr}");
    let mut rest = &text[first_end..];
    if !library.sites.is_empty() {
        // `b == nil`: the table form. The load-time environment has no `type`.
        let helper = format!(
            "local {HELPER} = function(a, b) if b == nil then a.function_name = \
             a.function_name .. '{suffix}' return redis.register_function(a) end \
             return redis.register_function(a .. '{suffix}', b) end; "
        );
        match rest.strip_prefix('\n') {
            Some(after) => {
                out.push('\n');
                out.push_str(&helper);
                rest = after;
            }
            None => {
                out.push('\n');
                out.push_str(&helper);
            }
        }
    }
    // Rewrite the sites, which all lie after the first line.
    let base = text.len() - rest.len();
    let mut at = 0;
    for &(start, end) in &library.sites {
        let (start, end) = (start - base, end - base);
        out.push_str(&rest[at..start]);
        out.push_str(HELPER);
        // Keep line breaks inside `redis .\n register_function`.
        out.extend(rest[start..end].chars().filter(|&c| c == '\n'));
        at = end;
    }
    out.push_str(&rest[at..]);
    out
}

/// The body `FUNCTION LOAD` is sent for a library with `versioned = false`: the file as
/// it is, but for Valkey's `server.register_function`, which becomes
/// `redis.register_function` (both servers have that one), so that a library whose only
/// Valkey-ism is its registrations loads on Redis too.
pub(super) fn plain_body(text: &str, library: &Library) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for &(start, _) in &library.sites {
        if let Some(rest) = text[start..].strip_prefix("server") {
            out.push_str(&text[at..start]);
            out.push_str("redis");
            at = text.len() - rest.len();
        }
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::super::read::analyse;
    use super::super::read::tests::{QUEUE, SERVER_ALIAS};
    use super::*;

    #[test]
    fn loaded_body_keeps_lines() {
        let (lib, _) = analyse(QUEUE);
        let body = loaded_body(QUEUE, &lib, "queue_0123456789ab", "_0123456789ab");
        assert_eq!(body.lines().count(), QUEUE.lines().count());
        assert!(body.starts_with("#!lua name=queue_0123456789ab\nlocal __evalsha_register"));
        assert_eq!(body.matches("redis.register_function").count(), 2, "{body}");
        assert_eq!(body.matches("__evalsha_register").count(), 4, "{body}");
        for (a, b) in QUEUE.lines().zip(body.lines()).skip(2) {
            assert_eq!(
                a.replace("redis.register_function", HELPER),
                b,
                "lines keep their place"
            );
        }
    }

    /// `server.register_function` is rewritten (to `redis.` when plain, to the versioning
    /// helper when versioned), a comment that names it is not.
    #[test]
    fn valkeys_server_register_function_is_rewritten() {
        let text = SERVER_ALIAS;
        let (lib, _) = analyse(text);
        let plain = plain_body(text, &lib);
        assert_eq!(
            plain.matches("redis.register_function").count(),
            2,
            "{plain}"
        );
        assert!(plain.contains("-- server.register_function in a comment stays"));
        let versioned = loaded_body(text, &lib, "x_0123456789ab", "_0123456789ab");
        assert_eq!(versioned.matches("server.").count(), 1, "{versioned}");
    }
}
