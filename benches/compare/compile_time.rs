//! Build time of a crate that includes a 2,000-line script, and of one that includes the
//! largest composed command of the BullMQ corpus (one `@include` tree of 39 files, when
//! `.ci/fetch-corpus` has fetched it), against the same crate including a one-line script:
//! the difference is what the macro (reading, composing, hashing, checking the Lua,
//! emitting code) and compiling its output cost. The macro's expansion time is measured
//! here, through the build a user runs, and nowhere else.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Lines of the large script.
pub const LINES: usize = 2_000;

/// The largest composed script of the corpus, relative to the workspace: 39 files, 39,813
/// bytes composed.
pub const COMPOSED: &str =
    "target/corpus/bullmq-6.7.0/package/dist/cjs/commands/moveToFinished-14.lua";

/// The result: best of several rebuilds of each variant.
pub struct CompileTimes {
    pub small: Duration,
    pub large: Duration,
    pub large_bytes: usize,
    /// The composed corpus script's, when the corpus is fetched.
    pub composed: Option<Duration>,
}

/// A 2,000-line script with a header, in the Lua 5.1 Redis embeds.
fn large_script() -> String {
    let mut s = String::from(
        "--- A long script for timing the macro.\n---@key target  where the result goes\n---@arg value string  mixed into every entry\n---@return i64  the number of entries\nlocal t = {}\n",
    );
    for i in 1..=LINES - 7 {
        s.push_str(&format!("t[{i}] = ARGV[1] .. ':{i}'\n"));
    }
    s.push_str("redis.call('SET', KEYS[1], t[1])\nreturn #t\n");
    assert_eq!(s.lines().count(), LINES);
    s
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn build(dir: &Path) -> Duration {
    let start = Instant::now();
    let status = Command::new(cargo())
        .args(["build", "--offline", "--quiet"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .status()
        .expect("run cargo build");
    assert!(status.success(), "cargo build of {} failed", dir.display());
    start.elapsed()
}

/// The probe's `main.rs`: the same type name for every script, so only the script differs.
/// `script` is relative to the probe crate.
fn main_rs(script: &str) -> String {
    format!(
        "evalsha::include_script!(Script = \"{script}\");\n\nfn main() {{\n    println!(\"{{}}\", Script::SHA1);\n}}\n"
    )
}

/// Builds the probe crate once (dependencies), then alternately rebuilds it with each
/// script `reps` times and keeps the fastest build of each.
pub fn measure(workspace: &Path, reps: usize) -> CompileTimes {
    let dir: PathBuf = workspace.join("target").join("compile-bench");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::create_dir_all(dir.join("scripts")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"compile-bench\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\nevalsha = {{ path = {:?} }}\n\n[workspace]\n",
            workspace.display().to_string()
        ),
    )
    .unwrap();
    let large = large_script();
    let large_bytes = large.len();
    std::fs::write(dir.join("scripts/large.lua"), &large).unwrap();
    std::fs::write(
        dir.join("scripts/small.lua"),
        "--- One line.\n---@return i64  one\nreturn 1\n",
    )
    .unwrap();
    let variant = |file: &str| std::fs::write(dir.join("src/main.rs"), main_rs(file)).unwrap();
    // From target/compile-bench back to the workspace.
    let composed = workspace
        .join(COMPOSED)
        .is_file()
        .then(|| format!("../../{COMPOSED}"));
    variant("scripts/small.lua");
    build(&dir); // dependencies, once
    let (mut small, mut large_t, mut composed_t) = (Duration::MAX, Duration::MAX, Duration::MAX);
    for _ in 0..reps {
        variant("scripts/small.lua");
        small = small.min(build(&dir));
        variant("scripts/large.lua");
        large_t = large_t.min(build(&dir));
        if let Some(path) = &composed {
            variant(path);
            composed_t = composed_t.min(build(&dir));
        }
    }
    CompileTimes {
        small,
        large: large_t,
        large_bytes,
        composed: composed.map(|_| composed_t),
    }
}
