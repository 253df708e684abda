//! What Redis Functions a server holds (`FUNCTION LIST`).

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
