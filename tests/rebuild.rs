//! Editing the `.lua` file makes cargo rebuild the crate that includes it: a scratch crate
//! prints its script's SHA1, the script changes, and the next `cargo run` prints the new
//! one without any `cargo clean`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn cargo_run(dir: &Path, target: &Path) -> String {
    let out = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--offline"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "cargo run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
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
        "evalsha::include_script!(\"s.lua\");\nfn main() { println!(\"{}\", S::SHA1); }\n",
    )
    .unwrap();

    let first = "return 1\n";
    std::fs::write(dir.join("s.lua"), first).unwrap();
    let sha_first = cargo_run(&dir, &target);

    let second = "return 2\n";
    std::fs::write(dir.join("s.lua"), second).unwrap();
    let sha_second = cargo_run(&dir, &target);

    assert_eq!(sha_first, sha1_hex(first));
    assert_eq!(sha_second, sha1_hex(second));
    assert_ne!(sha_first, sha_second);
}

/// Known SHA1s (`printf 'return 1\n' | sha1sum`), independent of the macro's own code.
fn sha1_hex(text: &str) -> &'static str {
    match text {
        "return 1\n" => "48df9b519ca145c867b895f740b37bd891e887af",
        "return 2\n" => "b7ac6454df41a85df39e338f3e08cce31719ab72",
        _ => unreachable!(),
    }
}
