#!lua name=jobs
---@key queue
---@kye other
redis.register_function{function_name = 'push', callback = function(keys, args)
  return redis.call('RPUSH', KEYS[1], args[1])
end, flags = {'no-writes', 'no-write'}}
redis.register_function('formatTS', function(keys, args) return keys[2] end)
redis.register_function('format_ts', function() return 1 end)
