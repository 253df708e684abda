#!lua
redis.register_function('push', function(keys, args) return 1 end)
