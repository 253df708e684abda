-- A fragment that includes a file that is not there.
--- @include "nope"
local function deep() return 1 end
