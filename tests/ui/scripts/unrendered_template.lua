-- Deletes a job by its digest, with helpers a template engine was meant to paste in.
local digest = KEYS[1]

<%= include_partial "shared/_common.lua" %>
return redis.call("DEL", digest)
