#!lua name=oncefn
--- Functions for the exactly-once tests: one that counts, one that counts and then fails.

---@key counter  the counter
---@arg by i64   how much to add
---@return i64   the new value
redis.register_function('add', function(keys, args)
  return redis.call('INCRBY', keys[1], args[1])
end)

---@key counter  the counter
---@arg message string
redis.register_function{function_name = 'add_then_fail', callback = function(keys, args)
  redis.call('INCR', keys[1])
  error(args[1])
end}
