#!lua name=flagged flags=no-writes
redis.register_function('get', function(keys) return redis.call('GET', keys[1]) end)
