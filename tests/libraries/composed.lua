#!lua name=evcomposed
---@include "includes/fail_helper"

---@key runs
---@arg message &str
redis.register_function('fail', function(keys, args)
  redis.call('INCR', keys[1])
  fail_with(args[1])
end)
