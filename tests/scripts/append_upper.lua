--- Appends an item in upper case; returns the list's new length.
---@key list
---@arg item string
---@return i64
return redis.call('RPUSH', KEYS[1], string.upper(ARGV[1]))
