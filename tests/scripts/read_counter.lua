#!lua flags=no-writes
--- Reads a counter on whichever node serves the call (a replica with read_from_replicas).
---@key counter  the counter
---@return i64    its value, 0 when unset
return tonumber(redis.call('GET', KEYS[1]) or 0)
