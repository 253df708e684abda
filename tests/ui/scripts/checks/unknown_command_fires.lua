--- Misspells a command, through BullMQ's `local rcall = redis.call` habit.
---@key counter
local rcall = redis.call
return rcall('INCRR', KEYS[1])
