--- Takes the lock when it is free: stores the owner's token with an expiry.
---@key lock            the lock's key
---@arg token &str      random token that identifies the owner
---@arg ttl_ms u64      how long the lock lasts unless extended
---@return bool         true when this token now holds the lock
return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) ~= false
