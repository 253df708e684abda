--- Fixed-window rate limiter.
---@key bucket
---@arg limit u64
---@arg window_ms u64
---@return i64 requests left, -1 when limited
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n > tonumber(ARGV[1]) then return -1 end
return tonumber(ARGV[1]) - n
