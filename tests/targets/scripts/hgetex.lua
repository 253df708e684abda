--- Reads a hash field and drops its TTL: `HGETEX` is new in Redis 8.0 and Valkey 9.0.
---@key hash
---@arg field string
return redis.call('HGETEX', KEYS[1], 'PERSIST', 'FIELDS', 1, ARGV[1])
