#!lua name=hcounter
--- A library, to prove `include_library!` expands under the same hostile setup.
---@key counter
---@arg by i64
---@return i64
redis.register_function('incrBy', function(keys, args)
  return redis.call('INCRBY', keys[1], args[1])
end)
redis.register_function{function_name = 'peek', callback = function(keys)
  return redis.call('GET', keys[1])
end, flags = {'no-writes'}}
