#!lua name=hash_ttl
--- A function library around Redis 8.0's hash-field TTLs.

---@key hash
---@arg field string
redis.register_function('take', function(keys, args)
  return redis.call('HGETDEL', keys[1], 'FIELDS', 1, args[1])
end)
