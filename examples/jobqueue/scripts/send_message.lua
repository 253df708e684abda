--- Adds a message to the queue; it can be received once `delay_ms` has passed.
---@key visible      sorted set: message id -> when it is next visible (ms, server time)
---@key bodies       hash: message id -> body
---@key ids          counter of message ids
---@arg body &[u8]   the message
---@arg delay_ms u64 how long before it can be received
---@return u64       the new message's id
local time = redis.call('TIME')
local now = time[1] * 1000 + math.floor(time[2] / 1000)
local id = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], id, ARGV[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), id)
return id
