--- Counts, and says how long it took: `os.clock` exists on Redis 8.0 and Valkey only.
---@key counter
local started = os.clock()
redis.call('INCR', KEYS[1])
return tostring(os.clock() - started)
