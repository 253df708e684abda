--- Records an event id once; says whether it was new.
---@key seen      set of ids
---@arg id string
---@arg ttl_s u64
---@return bool
local added = redis.call('SADD', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return added
