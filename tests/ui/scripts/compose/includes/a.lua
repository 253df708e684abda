local function a() return b() end
--- @include "b"
