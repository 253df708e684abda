//! Generated code names only `$crate::__private::...` paths: this crate renames the
//! `evalsha` dependency to `es`, has no dependency named `redis`, and shadows `redis`,
//! `evalsha`, `core` and `std` with empty modules at its root, as well as `Result` with a type of
//! another shape (types written in the script header, like `Option<&str>`, are the
//! user's own and resolve in this crate, as written). It still compiles, and its tests run the scripts
//! against a real server.

#![allow(dead_code)]

/// Shadows the `redis` crate: generated code that wrote `redis::...` or `::redis::...`
/// would fail here (there is no `redis` dependency either).
pub mod redis {}
/// Shadows the facade's usual name: the dependency is called `es` here.
pub mod evalsha {}
/// Shadows `core` for relative paths.
pub mod core {}
/// Shadows `std` for relative paths.
pub mod std {}
/// A `Result` of another arity than `core::result::Result`.
pub type Result = ();

es::include_script!("scripts/add_and_read.lua");
es::include_script!(pub Headerless = "scripts/headerless.lua", reload = eval);

#[cfg(test)]
mod tests {
    use super::{AddAndRead, Headerless};
    use evalsha_testkit::Server;

    #[test]
    fn runs_sync_under_shadowed_names() {
        let server = Server::start();
        let mut con = server.connection();
        rds::cmd("SET").arg("a").arg("x").exec(&mut con).unwrap();
        let (n, values) = AddAndRead
            .run(&mut con, "n", &["a", "missing"], 5, Some("five"))
            .unwrap();
        assert_eq!(n, 5);
        assert_eq!(values, vec![Some("x".to_owned()), None]);
        let label: String = Headerless
            .run(&mut con, &["n:label"], &[] as &[&str])
            .unwrap();
        assert_eq!(label, "five");
        let err = AddAndRead
            .call("n", &["a"], 1, None)
            .reload(es::Reload::Never)
            .run(&mut con)
            .map(|_| ());
        assert!(err.is_ok(), "loaded by the first call");
    }

    #[tokio::test]
    async fn runs_async_under_shadowed_names() {
        let server = Server::start();
        let mut con = server
            .client()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let (n, values) = AddAndRead
            .run_async(&mut con, "n", &["n"], 7, None)
            .await
            .unwrap();
        assert_eq!(n, 7);
        assert_eq!(values, vec![Some("7".to_owned())]);
        let got: Option<String> = Headerless
            .run_async(&mut con, &["nothing"], &[] as &[&str])
            .await
            .unwrap();
        assert_eq!(got, None);
    }
}
