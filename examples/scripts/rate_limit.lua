--- Fixed-window rate limiter: counts one request and says how many are left.
---
--- The first request of a window creates the counter with a expiry of one window;
--- later requests in the same window only increment it.
---@key bucket              counter key, one per client
---@arg limit u64           requests allowed per window
---@arg window_ms u64       window length in milliseconds
---@return i64              requests left, or -1 when limited
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
local limit = tonumber(ARGV[1])
if count > limit then
  return -1
end
return limit - count
