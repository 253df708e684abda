-- No header: ARGV[2] is tested for presence, so the generated `arg2` is optional.
if ARGV[2] then
  redis.call('INCR', KEYS[1])
  return 'given:' .. ARGV[2]
end
redis.call('INCR', KEYS[2])
return 'absent:' .. ARGV[1]
