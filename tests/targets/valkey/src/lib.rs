//! Targeting Valkey 8.1 and 9.1 (a multi-line `servers` array): `server.call` and
//! `os.clock` are accepted; `HGETEX`, new in Valkey 9.0, is an error naming Valkey 8.1.
evalsha::include_script!("../scripts/server_call.lua");
evalsha::include_script!("../scripts/os_clock.lua");
evalsha::include_script!("../scripts/hgetex.lua");
