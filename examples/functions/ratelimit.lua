#!lua name=ratelimit
--- Rate limiting as a Redis Functions library: the library lives in the server,
--- persists and replicates, and evalsha loads it on first use.

---@key bucket              counter key, one per client
---@arg limit u64           requests allowed per window
---@arg window_ms u64       window length in milliseconds
---@return i64              requests left, or -1 when limited
redis.register_function('hit', function(keys, args)
  local n = redis.call('INCR', keys[1])
  if n == 1 then
    redis.call('PEXPIRE', keys[1], args[2])
  end
  if n > tonumber(args[1]) then
    return -1
  end
  return tonumber(args[1]) - n
end)

--- How many requests the bucket has counted in this window.
---@key bucket
---@return i64
redis.register_function{function_name = 'countOf', callback = function(keys)
  return tonumber(redis.call('GET', keys[1]) or '0')
end, flags = {'no-writes'}}
