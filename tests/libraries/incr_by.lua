#!lua name=evincr
--- The same code as tests/scripts/incr_by.lua, as a Redis Functions library (for the
--- benchmark comparing FCALL with EVALSHA).
---@key counter     the counter
---@arg by i64      how much to add
---@return i64      the new value
redis.register_function('incr_by', function(keys, args)
  return redis.call('INCRBY', keys[1], args[1])
end)
