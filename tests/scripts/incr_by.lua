--- Adds to a counter and returns the new value.
---@key counter     the counter
---@arg by i64      how much to add
---@return i64      the new value
return redis.call('INCRBY', KEYS[1], ARGV[1])
