--- Counts a call, then raises an error on line 5.
---@key counter
---@arg message string
redis.call('INCR', KEYS[1])
error(ARGV[1])
