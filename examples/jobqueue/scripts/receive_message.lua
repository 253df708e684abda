--- Takes the message that has been visible longest and hides it for `visibility_ms`:
--- unless it is deleted or its visibility changed by then, it is received again after that.
---@key visible           sorted set: message id -> when it is next visible (ms, server time)
---@key bodies            hash: message id -> body
---@key receives          hash: message id -> how many times it was received
---@arg visibility_ms u64 how long the message stays hidden
---@return Option<(u64, Vec<u8>, u64)> id, body and receive count; nil when none is visible
local time = redis.call('TIME')
local now = time[1] * 1000 + math.floor(time[2] / 1000)
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1)
if #ids == 0 then
  return false
end
local id = ids[1]
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), id)
local count = redis.call('HINCRBY', KEYS[3], id, 1)
return {tonumber(id), redis.call('HGET', KEYS[2], id), count}
