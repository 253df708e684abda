--- Deletes a message (typically once its job is done).
---@key visible   sorted set: message id -> when it is next visible
---@key bodies    hash: message id -> body
---@key receives  hash: message id -> how many times it was received
---@arg id u64    the message
---@return bool   whether the message existed
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return redis.call('ZREM', KEYS[1], ARGV[1])
