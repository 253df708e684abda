//! Editing the `.lua` file makes cargo rebuild the crate that includes it: a scratch crate
//! prints its scripts' SHA1s, a script changes, and the next `cargo run` prints the new
//! one without any `cargo clean`. The same holds for a file pulled in with `@include`, and
//! for the `servers` line of `[package.metadata.evalsha]` in the crate's `Cargo.toml`
//! (which cargo alone does not rebuild for: the macro `include_bytes!` the manifest).

use std::path::{Path, PathBuf};
use std::process::Command;

fn cargo_run(dir: &Path, target: &Path) -> String {
    match try_cargo_run(dir, target) {
        Ok(stdout) => stdout,
        Err(stderr) => panic!("cargo run failed: {stderr}"),
    }
}

/// `cargo run` in `dir`: its output, or the compiler's errors.
fn try_cargo_run(dir: &Path, target: &Path) -> Result<String, String> {
    let out = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--offline"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .expect("run cargo");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8(out.stdout).unwrap().trim().to_owned())
}

#[test]
fn editing_the_servers_line_rebuilds_the_including_crate() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target = root.join("target").join("rebuild-check");
    let dir = target.join("crate-targets");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let manifest = |servers: &str| {
        format!(
            "[package]\nname = \"rebuild-targets\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
             [workspace]\n[dependencies]\nevalsha = {{ path = {root:?} }}\n\
             [package.metadata.evalsha]\nservers = [{servers}]\n"
        )
    };
    // A script and a library using `HGETEX` (Redis 8.0, Valkey 9.1), nothing else changes.
    std::fs::write(
        dir.join("s.lua"),
        "return redis.call('HGETEX', KEYS[1], 'FIELDS', 1, ARGV[1])\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("l.lua"),
        "#!lua name=l\nredis.register_function('f', function(keys, args)\n  \
         return redis.call('HGETEX', keys[1], 'FIELDS', 1, args[1])\nend)\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/main.rs"),
        "evalsha::include_script!(\"s.lua\");\nevalsha::include_library!(\"l.lua\");\n\
         fn main() { println!(\"{} {}\", S::SHA1, L::LIBRARY); }\n",
    )
    .unwrap();
    std::fs::write(dir.join("Cargo.toml"), manifest("\"redis-8.0\"")).unwrap();
    let built = cargo_run(&dir, &target);
    assert!(
        built.starts_with(&format!("{} l_", sha1_hex(HGETEX))),
        "{built}"
    );

    // Targeting Redis 7.0: the next build is a compile error naming it, for both macros.
    std::fs::write(dir.join("Cargo.toml"), manifest("\"redis-7.0\"")).unwrap();
    let errors = try_cargo_run(&dir, &target).expect_err("HGETEX on Redis 7.0 must not build");
    assert_eq!(
        errors
            .matches("`HGETEX` is not a command on Redis 7.0 (targeted in Cargo.toml)")
            .count(),
        2,
        "{errors}"
    );

    // And back: it builds again.
    std::fs::write(
        dir.join("Cargo.toml"),
        manifest("\n    \"redis-8.0\",\n    \"valkey-9.1\",\n"),
    )
    .unwrap();
    assert_eq!(cargo_run(&dir, &target), built);
}

#[test]
fn editing_the_script_rebuilds_the_including_crate() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // Its own target dir: the outer `cargo test` holds the lock on ours.
    let target = root.join("target").join("rebuild-check");
    let dir = target.join("crate");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"rebuild-check\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
             [workspace]\n[dependencies]\nevalsha = {{ path = {:?} }}\n",
            root
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("src/main.rs"),
        "evalsha::include_script!(\"s.lua\");\nevalsha::include_script!(\"t.lua\");\n\
         fn main() { println!(\"{} {}\", S::SHA1, T::SHA1); }\n",
    )
    .unwrap();
    // t.lua is composed from itself and includes/n.lua.
    std::fs::create_dir_all(dir.join("includes")).unwrap();
    std::fs::write(
        dir.join("t.lua"),
        "--- @include \"includes/n\"\nreturn n()\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("includes/n.lua"),
        "local function n() return 1 end\n",
    )
    .unwrap();

    let first = "return 1\n";
    std::fs::write(dir.join("s.lua"), first).unwrap();
    let sha_first = cargo_run(&dir, &target);

    let second = "return 2\n";
    std::fs::write(dir.join("s.lua"), second).unwrap();
    let sha_second = cargo_run(&dir, &target);

    // Editing the included file rebuilds too: T's SHA1 is that of the new composed text.
    std::fs::write(
        dir.join("includes/n.lua"),
        "local function n() return 2 end\n",
    )
    .unwrap();
    let sha_third = cargo_run(&dir, &target);

    let composed_1 = "local function n() return 1 end\nreturn n()\n";
    let composed_2 = "local function n() return 2 end\nreturn n()\n";
    assert_eq!(
        sha_first,
        format!("{} {}", sha1_hex(first), sha1_hex(composed_1))
    );
    assert_eq!(
        sha_second,
        format!("{} {}", sha1_hex(second), sha1_hex(composed_1))
    );
    assert_eq!(
        sha_third,
        format!("{} {}", sha1_hex(second), sha1_hex(composed_2))
    );
}

/// The script of the servers-line test.
const HGETEX: &str = "return redis.call('HGETEX', KEYS[1], 'FIELDS', 1, ARGV[1])\n";

/// Known SHA1s (`printf 'return 1\n' | sha1sum`), independent of the macro's own code.
fn sha1_hex(text: &str) -> &'static str {
    match text {
        HGETEX => "2d7f4056bfaf1a61ff3fa13867d612632dd7ed5a",
        "return 1\n" => "48df9b519ca145c867b895f740b37bd891e887af",
        "return 2\n" => "b7ac6454df41a85df39e338f3e08cce31719ab72",
        "local function n() return 1 end\nreturn n()\n" => {
            "d5c42a298c86969273e29ade99a74c3cfd25670e"
        }
        "local function n() return 2 end\nreturn n()\n" => {
            "bd7522029c2753119d4722db7c56fdac06a1b1af"
        }
        _ => unreachable!(),
    }
}
