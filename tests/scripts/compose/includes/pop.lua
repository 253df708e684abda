--- @include "rcall"
local function popJob(queue, active)
  return rcall("LMOVE", queue, active, "RIGHT", "LEFT")
end
