//! Targeting Redis 8.0 and Valkey 9.1: what both have is accepted (`HGETEX`, `os.clock`),
//! what one lacks is an error naming it (`server` on Redis 8.0).
evalsha::include_script!("../scripts/hgetex.lua");
evalsha::include_script!("../scripts/os_clock.lua");
evalsha::include_script!("../scripts/server_call.lua");
