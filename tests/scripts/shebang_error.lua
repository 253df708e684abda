#!lua
--- A shebang line, then an error on line 5.
---@key counter
redis.call('INCR', KEYS[1])
error('after shebang')
