--- Argument lists that expand, options, and a subcommand with its own arity.
---@key ...counters
---@arg ...fields string
redis.call('DEL', unpack(KEYS))
redis.call('SET', KEYS[1], 'v', 'EX', 10)
redis.call('HSET', KEYS[1] .. ':h', 'a', 1, unpack(ARGV))
redis.call('OBJECT', 'ENCODING', KEYS[1])
return redis.call('GET', unpack(KEYS))
