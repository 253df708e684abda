//! Target servers (`[package.metadata.evalsha] servers` in a crate's own `Cargo.toml`) make
//! the checks exact. trybuild's generated crate carries no `[package.metadata]`, so these
//! UI tests are fixture crates under `tests/targets/` (a workspace of their own): each is
//! built, and its errors must be exactly its `expected.stderr` (no such file: it must
//! build). `EVALSHA_BLESS=1` rewrites the files from what the compiler says.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The fixture crates, as listed in `tests/targets/Cargo.toml`.
const CASES: &[&str] = &[
    "all_servers",
    "redis_8",
    "redis_7",
    "redis_8_valkey_9",
    "valkey",
    "unknown",
    "redis_errors",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Builds one fixture crate; its success and its errors, without cargo's own lines.
fn build(case: &str) -> (bool, String) {
    let fixtures = root().join("tests/targets");
    let out = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--offline", "-p"])
        .arg(format!("targets-{}", case.replace('_', "-")))
        .current_dir(&fixtures)
        // The target dir of tests/rebuild.rs (the outer `cargo test` holds the lock on
        // ours): the same dependencies, built once for both.
        .env("CARGO_TARGET_DIR", root().join("target/rebuild-check"))
        .env_remove("RUSTFLAGS")
        .output()
        .expect("run cargo");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: String = stderr
        .lines()
        .filter(|l| !l.starts_with("error: could not compile"))
        .map(|l| format!("{}\n", l.trim_end()))
        .collect();
    (out.status.success(), errors.trim_end().to_owned() + "\n")
}

#[test]
fn each_fixture_crate_builds_or_fails_exactly_as_expected() {
    let bless = std::env::var_os("EVALSHA_BLESS").is_some();
    let mut failures = Vec::new();
    for case in CASES {
        let (ok, errors) = build(case);
        let expected_path = root()
            .join("tests/targets")
            .join(case)
            .join("expected.stderr");
        let expected = std::fs::read_to_string(&expected_path).ok();
        if bless {
            if ok {
                let _ = std::fs::remove_file(&expected_path);
            } else {
                std::fs::write(&expected_path, &errors).unwrap();
            }
            continue;
        }
        match (ok, expected) {
            (true, None) => {}
            (true, Some(_)) => failures.push(format!("{case}: built, but errors were expected")),
            (false, None) => failures.push(format!("{case}: must build, but:\n{errors}")),
            (false, Some(expected)) if expected == errors => {}
            (false, Some(expected)) => failures.push(format!(
                "{case}: errors differ (EVALSHA_BLESS=1 rewrites them)\n--- expected\n\
                 {expected}--- actual\n{errors}"
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The fixture's messages are the ones the brief promises: each refusal names the target
/// that lacks the thing, and the unknown name lists the known ones.
#[test]
fn refusals_name_the_targets_that_lack_it() {
    let read = |case: &str| {
        std::fs::read_to_string(
            Path::new(&root()).join(format!("tests/targets/{case}/expected.stderr")),
        )
        .unwrap()
    };
    let redis_7 = read("redis_7");
    assert!(redis_7.contains(
        "`HGETEX` is not a command on Redis 7.0 (targeted in Cargo.toml), where the call fails; \
         Redis 8.0, Valkey 9.1 have it [unknown-command]"
    ));
    assert!(redis_7.contains("`HGETDEL` is not a command on Redis 7.0 (targeted in Cargo.toml)"));
    assert!(
        redis_7.contains("the global `os` does not exist on Redis 7.0 (targeted in Cargo.toml)")
    );
    assert!(
        read("redis_8_valkey_9")
            .contains("the global `server` does not exist on Redis 8.0 (targeted in Cargo.toml)")
    );
    assert!(
        read("valkey").contains("`HGETEX` is not a command on Valkey 8.1 (targeted in Cargo.toml)")
    );
    assert!(read("unknown").contains(
        "Cargo.toml:11:26: unknown target server `redis-9.0` in `[package.metadata.evalsha] \
         servers`; the known ones are redis-6.2, redis-7.0, redis-8.0, valkey-8.1, valkey-9.1"
    ));
    let all = read("all_servers");
    assert!(all.contains(
        "the global `os` does not exist on Redis 6.2, Redis 7.0, where reading it fails"
    ));
    assert!(!all.contains("HGETEX"), "{all}");
}
