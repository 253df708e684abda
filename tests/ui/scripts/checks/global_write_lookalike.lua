--- Locals reassigned, local functions, a module table of the script's own, KEYS written.
---@key counter
local count = redis.call('INCR', KEYS[1])
count = count + 1
local function helper() return count end
local M = {}
function M.trim(s) return s end
function M:name() return self end
M.size = 1
KEYS[1] = M.trim(KEYS[1])
return helper()
