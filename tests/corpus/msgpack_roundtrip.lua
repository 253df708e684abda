--- Packs its arguments with cmsgpack and stores them.
---@key blob
---@arg ...items string
---@return i64 size of the packed value
local packed = cmsgpack.pack(ARGV)
redis.call('SET', KEYS[1], packed)
return string.len(packed)
