#!lua name=evdeploy
---@key runs
---@return String
redis.register_function('version', function(keys, _)
  redis.call('INCR', keys[1])
  return 'v2'
end)
