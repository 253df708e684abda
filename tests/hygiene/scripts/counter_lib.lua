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

--- Eight parameters (clippy's `too_many_arguments` fires from eight), as real libraries
--- have (streaq's task queue).
---@key a        first key
---@key b        second key
---@key c        third key
---@arg f1 i64   field one
---@arg f2 &str  field two
---@arg f3 bool  field three
---@arg f4 u64   field four
---@return i64   fields stored
redis.register_function('wide', function(keys, args)
  redis.call('HSET', keys[1], 'f1', args[1], 'f2', args[2])
  redis.call('HSET', keys[2], 'f3', args[3])
  redis.call('HSET', keys[3], 'f4', args[4])
  return 4
end)
