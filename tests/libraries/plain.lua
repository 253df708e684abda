#!lua name=evplain
---@key key
---@return Option<String>
redis.register_function('plain_get', function(keys) return redis.call('GET', keys[1]) end)
