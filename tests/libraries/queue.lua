#!lua name=evq
--- A small job queue, as a Redis Functions library.

---@key queue        the list holding the jobs
---@key runs         a counter every call increments
---@arg job &str     the job
---@return i64       the queue's length
redis.register_function('push', function(keys, args)
  redis.call('INCR', keys[2])
  return redis.call('RPUSH', keys[1], args[1])
end)

local function peek(KEYS, ARGV)
  return redis.call('LINDEX', KEYS[1], tonumber(ARGV[1]))
end
redis.register_function{function_name = 'peekAt', callback = peek, flags = {'no-writes'}}

---@key runs
---@arg message &str
redis.register_function('fail', function(keys, args)
  redis.call('INCR', keys[1])
  error(args[1])
end)

local prefix = 'ev'
redis.register_function(prefix .. 'tag', function() return 'computed' end)
