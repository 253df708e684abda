--- One mistake: the type and its methods are still generated, so using them adds no error.
---@key bucket
---@arg limit u64
---@arg window_ms u64
---@return i64
local count = redis.call('INCR', KEYS[1])
if count > tonumber(ARGV[1]) then return -1 end
return tonumber(ARGV[1]) - count +
