--- Reads a counter (no `#!lua` flags, so it runs on Redis 6.2 too and, reading only,
--- under `maxmemory`).
---@key counter
---@return i64 its value, 0 when unset
return tonumber(redis.call('GET', KEYS[1]) or 0)
