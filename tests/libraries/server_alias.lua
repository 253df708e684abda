#!lua name=evalias
--- Registered through Valkey's alias of redis.register_function (`server.` prefix), both forms.

---@key counter
---@return i64
server.register_function('aliasIncr', function(keys, args)
  return redis.call('INCR', keys[1])
end)

server.register_function{
  function_name = 'aliasGet',
  callback = function(keys) return redis.call('GET', keys[1]) end,
  flags = {'no-writes'},
}
