--- Sets all keys only if none exists (variadic keys and values).
---@key ...keys
---@arg ...values string
---@return bool
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then return 0 end
end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, ARGV[i])
end
return 1
