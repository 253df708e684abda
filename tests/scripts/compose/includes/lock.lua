--- @include 'rcall'
local function lockJob(job, token, ttl)
  -- A job named "poison" raises an error here, on line 5 of this file.
  if job == "poison" then
    error("poison job")
  end
  return rcall("SET", "lock:" .. job, token, "PX", ttl)
end
