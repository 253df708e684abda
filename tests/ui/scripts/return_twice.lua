---@return i64
---@return string
return 1
