---@key counter
local function incr(k)
  return redis.call("INCR", k)
end
