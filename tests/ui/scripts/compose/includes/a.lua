local function a() return 1 end
--- @include "b"
