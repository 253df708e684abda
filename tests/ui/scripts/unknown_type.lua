---@arg limit int
---@arg data bytes
return 1
