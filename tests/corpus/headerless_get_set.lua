-- No header: parameters are counted from the script (one key, one arg).
local old = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1])
return old
