--- @include "a.lua"
local function b() return 1 end
