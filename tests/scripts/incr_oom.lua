--- Reads, then writes: under `maxmemory` the write fails inside the running script.
---@key counter
---@return i64 the new count
redis.call('GET', KEYS[1])
return redis.call('INCR', KEYS[1])
