--- Merges a JSON object into the JSON document stored at a key.
---@key doc
---@arg patch string   a JSON object
---@return String      the merged document
local current = redis.call('GET', KEYS[1])
local doc = current and cjson.decode(current) or {}
for k, v in pairs(cjson.decode(ARGV[1])) do
  doc[k] = v
end
local out = cjson.encode(doc)
redis.call('SET', KEYS[1], out)
return out
