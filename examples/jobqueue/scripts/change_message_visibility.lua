--- Makes a message visible again `visibility_ms` from now (0: at once), for a worker that
--- needs more time, or gives a job back.
---@key visible           sorted set: message id -> when it is next visible (ms, server time)
---@arg id u64            the message
---@arg visibility_ms u64 from now until it is visible
---@return bool           whether the message exists
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return 0
end
local time = redis.call('TIME')
local now = time[1] * 1000 + math.floor(time[2] / 1000)
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
return 1
