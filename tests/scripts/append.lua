--- Appends an item to a list; returns the list's new length.
---@key list
---@arg item string
---@return i64
return redis.call('RPUSH', KEYS[1], ARGV[1])
