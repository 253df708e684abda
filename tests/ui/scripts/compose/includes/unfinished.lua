-- A helper left half-written.
local function helper(key)
  local v = redis.call("GET", key)
  if v then
    return v
  -- TODO

return nil
