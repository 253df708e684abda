--- Acknowledges a job: removes it from processing and from the start times.
---@key processing
---@key started
---@arg job string
---@return i64
redis.call('HDEL', KEYS[2], ARGV[1])
return redis.call('LREM', KEYS[1], 1, ARGV[1])
