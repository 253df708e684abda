--- Takes a job: the fragments define what it calls.
---@key queue
---@arg id string
--- @include "includes/missing_deep"
return 1
