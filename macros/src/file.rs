//! Finding and reading the script file, with an error for every way that can fail.

use std::path::{Path, PathBuf};

/// The script file as read at expansion time.
pub(crate) struct ScriptFile {
    /// Absolute path, for `include_str!` (which makes cargo rebuild on change).
    pub(crate) absolute: PathBuf,
    /// The file's text: exactly its bytes, which are valid UTF-8.
    pub(crate) text: String,
}

/// Resolves `path` against the calling crate's `CARGO_MANIFEST_DIR` and reads it.
/// `caller` is the source file of the macro call, used only for a hint when the file is
/// missing from the manifest directory but present beside the source file.
pub(crate) fn read(path: &str, caller: Option<&Path>) -> Result<ScriptFile, String> {
    if path.is_empty() {
        return Err("the script path is empty".into());
    }
    if Path::new(path).is_absolute() {
        return Err(format!(
            "{path}: absolute paths are not allowed; write the path relative to the crate \
             root (CARGO_MANIFEST_DIR) so the crate builds on every machine"
        ));
    }
    let root = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .ok_or_else(|| "CARGO_MANIFEST_DIR is not set; build with cargo".to_owned())?;
    let absolute = root.join(path);
    if absolute.is_dir() {
        return Err(format!("{path}: is a directory, not a .lua file"));
    }
    let bytes = match std::fs::read(&absolute) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(missing(path, &root, caller));
        }
        Err(err) => return Err(format!("{path}: cannot read the file: {err}")),
    };
    let text = decode(path, bytes)?;
    Ok(ScriptFile { absolute, text })
}

/// The file's bytes as text, or an error at the first byte that is not UTF-8.
pub(crate) fn decode(path: &str, bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|err| {
        let at = err.utf8_error().valid_up_to();
        let (line, col) = line_col(&err.into_bytes(), at);
        format!(
            "{path}:{line}:{col}: the file is not valid UTF-8 (Redis scripts must be UTF-8 text)"
        )
    })
}

fn missing(path: &str, root: &Path, caller: Option<&Path>) -> String {
    let mut msg = format!(
        "{path}: file not found; the path is relative to the crate root (CARGO_MANIFEST_DIR, \
         the directory of Cargo.toml)"
    );
    if let Some(dir) = caller.and_then(Path::parent) {
        // A relative source path is relative to rustc's working directory, which is also
        // this process's.
        let beside = dir.join(path);
        let beside = beside.canonicalize().unwrap_or(beside);
        let root = root.canonicalize().unwrap_or_else(|_| root.to_owned());
        if beside.is_file() {
            msg.push_str(&format!(
                "; it exists relative to the calling source file: write \"{}\"",
                relative(&root, &beside).display()
            ));
        }
    }
    msg
}

/// 1-based line and column (in characters) of byte offset `at`.
pub(crate) fn line_col(bytes: &[u8], at: usize) -> (usize, usize) {
    let before = &bytes[..at];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let col = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    (line, col)
}

/// `to` as a path relative to the directory `from` (both absolute and canonical).
fn relative(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<_> = from.components().collect();
    let to_parts: Vec<_> = to.components().collect();
    let common = from
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for part in &to_parts[common..] {
        out.push(part);
    }
    out
}
