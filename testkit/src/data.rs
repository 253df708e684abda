//! Reading what a test checks on a server: counters the test scripts increment.

/// The integer at `key` on the server behind `con`, 0 when the key is missing.
pub fn counter(con: &mut dyn redis::ConnectionLike, key: &str) -> i64 {
    redis::cmd("GET")
        .arg(key)
        .query::<Option<i64>>(con)
        .expect("GET")
        .unwrap_or(0)
}
