---@key counter
redis.call('INCR', KEYS[1])
return redis.error_reply('LIMIT exceeded')
