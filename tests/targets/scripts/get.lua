-- No header: one key, the reply type is the caller's.
return redis.call('GET', KEYS[1])
