--- Sliding-window limiter on a sorted set of request times.
---@key log            sorted set of request timestamps
---@arg now_ms u64
---@arg window_ms u64
---@arg limit u64
---@arg request_id string
---@return integer 1 when allowed, 0 when limited
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  return 0
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], window)
return 1
