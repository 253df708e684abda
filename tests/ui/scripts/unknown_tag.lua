---@kye counter
---@arg limit u64
---@frobnicate yes
---@param x number  (LuaLS tags are left alone)
return 1
