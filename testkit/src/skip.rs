//! Skipping a test a server cannot run, never silently.

use crate::Server;

/// True when `server` is at least major version `major`. Otherwise prints why `what` is
/// skipped (visible with `--nocapture` and in CI logs) and returns false, so a test can
/// `if !requires(..) { return; }` and never skip silently: the reason goes to stderr
/// and, when `EVALSHA_SKIP_LOG` names a file, is appended to it.
pub fn requires(server: &Server, major: u32, what: &str) -> bool {
    let ok = server.major_version() >= major;
    if !ok {
        skipped(server, what, &format!("server version >= {major}"));
    }
    ok
}

/// Says that `what` is skipped on `server` because it `needs` something the server lacks
/// (`"Valkey 8+"`), as [`requires`] does: on stderr and in `EVALSHA_SKIP_LOG`.
pub fn skipped(server: &Server, what: &str, needs: &str) {
    let line = format!(
        "SKIPPED: {what}: needs {needs}, {} is {}\n",
        server.binary,
        server.version()
    );
    // libtest hides a passing test's output, so CI collects skips in a file
    // (`EVALSHA_SKIP_LOG`, set by .ci/test) and prints them after each server's run.
    eprint!("{line}");
    if let Ok(path) = std::env::var("EVALSHA_SKIP_LOG") {
        use std::io::Write;
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = file.write_all(line.as_bytes());
        }
    }
}
