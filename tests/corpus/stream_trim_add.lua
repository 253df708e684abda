--- Appends to a stream and trims it.
---@key stream
---@arg maxlen u64
---@arg field string
---@arg value string
---@return String the entry id
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', ARGV[2], ARGV[3])
