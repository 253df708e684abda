--- The same call, switched off for its line.
---@key counter
local rcall = redis.call
---@diagnostic disable-next-line: unknown-command
return rcall('INCRR', KEYS[1])
