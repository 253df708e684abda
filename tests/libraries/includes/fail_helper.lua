-- A helper shared by libraries (included, not loaded on its own).
local function fail_with(message)
  error(message)
end
