--- Adds 1 to two counters that must live in one slot.
---@key a  first counter
---@key b  second counter
---@return i64  the first counter's new value
redis.call('INCR', KEYS[2])
return redis.call('INCR', KEYS[1])
