-------------------------------------------------
-- Pushes every argument onto a list.
-------------------------------------------------
return redis.call("RPUSH", KEYS[1], unpack(ARGV))
