//! What each server of the test matrix offers a script: its Lua globals, the fields of its
//! library tables and its command table (arity, flags). The data is generated from the
//! servers themselves (`*.txt` beside this file; regenerate with
//! `cargo test --test environment regenerate -- --ignored`, and `tests/environment.rs`
//! fails when a file no longer matches its server), parsed once per compiler process.
//!
//! Which of them a crate's checks answer for is [`crate::targets`]' business: the crate's
//! target servers, else all of them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// The generated files: the name a crate targets the server by (the file's name,
/// `[package.metadata.evalsha] servers = ["redis-8.0"]`), the name messages show, the data.
const FILES: &[(&str, &str, &str)] = &[
    ("redis-6.2", "Redis 6.2", include_str!("redis-6.2.txt")),
    ("redis-7.0", "Redis 7.0", include_str!("redis-7.0.txt")),
    ("redis-8.0", "Redis 8.0", include_str!("redis-8.0.txt")),
    ("valkey-8.1", "Valkey 8.1", include_str!("valkey-8.1.txt")),
    ("valkey-9.1", "Valkey 9.1", include_str!("valkey-9.1.txt")),
];

/// One command of one server's `COMMAND` table.
#[derive(Debug, Clone)]
pub(crate) struct Command {
    /// Redis's arity: `n` means exactly `n` words (the name included), `-n` at least `n`.
    pub(crate) arity: i64,
    /// The `write` flag.
    pub(crate) write: bool,
}

impl Command {
    /// Whether a call with `words` words (the command name included) fits the arity.
    pub(crate) fn accepts(&self, words: usize) -> bool {
        let words = words as i64;
        if self.arity >= 0 {
            words == self.arity
        } else {
            words >= -self.arity
        }
    }
}

/// One server's environment.
#[derive(Debug, Default)]
pub(crate) struct Server {
    /// How a crate targets it: `redis-7.0`.
    pub(crate) id: &'static str,
    /// How messages name it: `Redis 7.0`.
    pub(crate) name: &'static str,
    pub(crate) globals: BTreeSet<&'static str>,
    /// `table.field`.
    pub(crate) fields: BTreeSet<&'static str>,
    /// The globals that are tables with fields (`redis`, `string`, ...).
    pub(crate) tables: BTreeSet<&'static str>,
    /// Lowercase names; subcommands as `parent|sub`.
    pub(crate) commands: BTreeMap<&'static str, Command>,
    /// The `#!lua flags=` flags `SCRIPT LOAD` accepts (none on Redis 6.2, which has no
    /// shebang).
    pub(crate) flags: BTreeSet<&'static str>,
    /// Whether `SCRIPT LOAD` takes a `#!lua` first line at all (Redis 7.0 and later).
    pub(crate) shebang: bool,
}

/// The servers of the test matrix, in the order of [`FILES`].
pub(crate) fn servers() -> &'static [Server] {
    static SERVERS: OnceLock<Vec<Server>> = OnceLock::new();
    SERVERS.get_or_init(|| {
        FILES
            .iter()
            .map(|(id, name, text)| parse(id, name, text))
            .collect()
    })
}

fn parse(id: &'static str, name: &'static str, text: &'static str) -> Server {
    let mut server = Server {
        id,
        name,
        ..Server::default()
    };
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let mut words = line.split(' ');
        match (words.next(), words.next()) {
            (Some("global"), Some(global)) => {
                server.globals.insert(global);
            }
            (Some("field"), Some(field)) => {
                server.fields.insert(field);
                if let Some((table, _)) = field.split_once('.') {
                    server.tables.insert(table);
                }
            }
            (Some("flag"), Some(flag)) => {
                server.flags.insert(flag);
            }
            (Some("shebang"), Some("lua")) => server.shebang = true,
            (Some("command"), Some(command)) => {
                let arity = words.next().and_then(|a| a.parse().ok()).unwrap_or(-1);
                let write = words
                    .next()
                    .is_some_and(|f| f.split(',').any(|f| f == "write"));
                server.commands.insert(command, Command { arity, write });
            }
            _ => {}
        }
    }
    server
}

/// `Redis 6.2, Redis 7.0`: the names of `servers`, for messages.
pub(crate) fn names<'a>(servers: impl IntoIterator<Item = &'a &'a Server>) -> String {
    servers
        .into_iter()
        .map(|s| s.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The closest of `candidates` to `word` within a small edit distance, for "did you mean".
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).clamp(1, 2);
    candidates
        .into_iter()
        .map(|c| (crate::header::distance(word, c), c))
        .filter(|&(d, _)| d <= limit)
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_server_file_parses_into_globals_fields_and_commands() {
        for server in servers() {
            assert!(server.globals.contains("redis"), "{}", server.name);
            assert!(server.fields.contains("redis.call"), "{}", server.name);
            let set = &server.commands["set"];
            assert!(set.write && set.arity == -3, "{}", server.name);
            assert!(!server.commands["get"].write);
            assert!(server.commands["get"].accepts(2) && !server.commands["get"].accepts(3));
        }
        let ids: Vec<_> = servers().iter().map(|s| s.id).collect();
        assert_eq!(
            ids,
            [
                "redis-6.2",
                "redis-7.0",
                "redis-8.0",
                "valkey-8.1",
                "valkey-9.1"
            ]
        );
    }

    #[test]
    fn the_files_say_what_is_new_on_redis_8_and_valkey() {
        let by_id = |id: &str| servers().iter().find(|s| s.id == id).unwrap();
        for id in ["redis-8.0", "valkey-8.1", "valkey-9.1"] {
            assert!(by_id(id).fields.contains("os.clock"), "{id}");
        }
        for id in ["redis-6.2", "redis-7.0"] {
            assert!(!by_id(id).globals.contains("os"), "{id}");
        }
        assert!(by_id("valkey-9.1").fields.contains("server.call"));
        assert!(!by_id("redis-8.0").globals.contains("server"));
        assert!(by_id("redis-8.0").commands.contains_key("hgetex"));
        assert!(!by_id("redis-7.0").commands.contains_key("hgetex"));
        assert!(!by_id("redis-6.2").shebang && by_id("redis-7.0").shebang);
    }
}
