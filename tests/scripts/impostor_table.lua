--- Counts a call, then answers with its own error table that reads like the server's
--- NOSCRIPT (`{err = ...}`).
---@key counter
redis.call('INCR', KEYS[1])
return {err = 'NOSCRIPT this one is mine too'}
