-- No header: the first two arguments are taken off the front; the rest are the values.
local field = table.remove(ARGV, 1)
local count = table.remove(ARGV, 1)
redis.call('SET', KEYS[1], count)
redis.call('DEL', unpack(KEYS, 2))
return redis.call('HSET', KEYS[1] .. ':h', field, #ARGV)
