-- No header: two fixed arguments, then a tail from ARGV[3] (a job queue's pattern).
local now = ARGV[1]
local force = ARGV[2]
for i = 3, #ARGV do
  redis.call('RPUSH', KEYS[1], ARGV[i])
end
return {now, force, redis.call('LLEN', KEYS[1])}
