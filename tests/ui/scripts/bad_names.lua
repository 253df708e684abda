---@key user
---@arg user string
---@arg type string
---@arg con string
---@arg 2fa string
return 1
