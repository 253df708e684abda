//! Targeting Redis 8.0: its commands and `os.clock` are accepted.
evalsha::include_script!("../scripts/hgetex.lua");
evalsha::include_library!("../scripts/hash_ttl.lua");
evalsha::include_script!("../scripts/os_clock.lua");
