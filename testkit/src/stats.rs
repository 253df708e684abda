//! What a server counted: `INFO commandstats` and `INFO errorstats`, for asserting what was
//! sent, and `CONFIG RESETSTAT` to start counting from zero.

/// Command counters read from `INFO commandstats`, for asserting what was sent.
#[derive(Debug, Clone, Default)]
pub struct Stats(Vec<(String, u64)>);

impl Stats {
    /// Reads the counters of the server behind `con`.
    pub fn read(con: &mut dyn redis::ConnectionLike) -> Stats {
        let info: String = redis::cmd("INFO")
            .arg("commandstats")
            .query(con)
            .expect("INFO commandstats");
        let mut out = Vec::new();
        for line in info.lines() {
            let Some(rest) = line.strip_prefix("cmdstat_") else {
                continue;
            };
            let Some((name, fields)) = rest.split_once(':') else {
                continue;
            };
            let calls = fields
                .split(',')
                .find_map(|f| f.strip_prefix("calls="))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            out.push((name.to_owned(), calls));
        }
        Stats(out)
    }

    /// Calls of `command`, lowercase; subcommands as `script|load` (Redis 7 naming). On
    /// servers that count `SCRIPT` as a whole (6.2), `script|load` reads that total.
    pub fn calls(&self, command: &str) -> u64 {
        let find = |name: &str| self.0.iter().find(|(n, _)| n == name).map(|(_, c)| *c);
        find(command)
            .or_else(|| command.split_once('|').and_then(|(parent, _)| find(parent)))
            .unwrap_or(0)
    }
}

/// How many error replies starting with `code` (`MOVED`, `ASK`, ...) the server behind
/// `con` sent since its stats were reset (`INFO errorstats`, Redis 6.2+ and Valkey).
pub fn error_replies(con: &mut dyn redis::ConnectionLike, code: &str) -> u64 {
    let info: String = redis::cmd("INFO")
        .arg("errorstats")
        .query(con)
        .expect("INFO errorstats");
    let prefix = format!("errorstat_{code}:count=");
    info.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .map_or(0, |n| n.trim().parse().expect("a count"))
}

/// Clears the server's command counters (`CONFIG RESETSTAT`).
pub fn reset_stats(con: &mut dyn redis::ConnectionLike) {
    redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .exec(con)
        .expect("CONFIG RESETSTAT");
}
