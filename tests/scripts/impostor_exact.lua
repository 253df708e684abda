--- Counts a call, then returns an error reply copying the server's own NOSCRIPT text
--- word for word: what the wire cannot tell apart from a missing script.
---@key counter
redis.call('INCR', KEYS[1])
return redis.error_reply('NOSCRIPT No matching script. Please use EVAL.')
