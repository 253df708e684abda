//! No target servers: every shipped environment counts. A command or flag is accepted if
//! any server has it, a global only if all of them have it.
evalsha::include_script!("../scripts/hgetex.lua");
evalsha::include_library!("../scripts/hash_ttl.lua");
evalsha::include_script!("../scripts/os_clock.lua");
evalsha::include_script!("../scripts/server_call.lua");
