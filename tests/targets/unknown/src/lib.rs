//! An unknown target name: an error at its place in Cargo.toml listing the known ones.
evalsha::include_script!("../scripts/hgetex.lua");
