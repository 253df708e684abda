---@key
---@arg limit
---@return
return 1
