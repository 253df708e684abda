--- Valkey's name for the `redis` table.
---@key counter
return server.call('INCR', KEYS[1])
