#!lua name=evoptional
-- No tagged blocks: each callback's parameters are inferred from how it uses `args`.

-- args[2] is tested for presence: the generated second argument is an Option.
redis.register_function('requeue', function(keys, args)
  if args[2] then
    redis.call('INCR', keys[1])
    return 'given:' .. args[2]
  end
  redis.call('INCR', keys[2])
  return 'absent:' .. args[1]
end)

-- One fixed argument, then a variadic tail from args[2].
redis.register_function('tag', function(keys, args)
  for i = 2, #args do
    redis.call('SADD', keys[1], args[1] .. ':' .. args[i])
  end
  return redis.call('SCARD', keys[1])
end)
