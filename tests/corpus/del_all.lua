--- Deletes every key given.
---@key ...keys
---@return i64
local n = 0
for i = 1, #KEYS do
  n = n + redis.call('DEL', KEYS[i])
end
return n
