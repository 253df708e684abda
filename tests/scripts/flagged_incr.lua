#!lua
--- Counts a call. A `#!lua` script without `allow-oom`: under `maxmemory` the server
--- refuses it before it starts.
---@key counter
---@return i64 the new count
return redis.call('INCR', KEYS[1])
