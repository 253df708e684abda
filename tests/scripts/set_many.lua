--- Sets every key to its value; returns how many were set.
---@key ...keys      keys to set
---@arg ...values &str   one value per key
---@return integer
for i, key in ipairs(KEYS) do
  redis.call('SET', key, ARGV[i])
end
return #KEYS
