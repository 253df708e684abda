--- Stores a value and returns its length.
---@key key
---@arg value &[u8]
---@return i64
redis.call('SET', KEYS[1], ARGV[1])
return redis.call('STRLEN', KEYS[1])
