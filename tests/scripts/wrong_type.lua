---@key key     a string key used as a list
redis.call('SET', KEYS[1], 'x')
return redis.call('LPUSH', KEYS[1], 'y')
