---@key ...keys
---@key last
return 1
