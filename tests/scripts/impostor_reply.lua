--- Counts a call, then answers with its own error reply that reads like the server's
--- NOSCRIPT (`redis.error_reply`).
---@key counter
redis.call('INCR', KEYS[1])
return redis.error_reply('NOSCRIPT this one is mine')
