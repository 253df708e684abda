--- Counting semaphore on a sorted set of holders with expiry.
---@key holders
---@arg holder string
---@arg limit u64
---@arg now_ms u64
---@arg ttl_ms u64
---@return bool
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[3]) - tonumber(ARGV[4]))
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
  return 1
end
return 0
