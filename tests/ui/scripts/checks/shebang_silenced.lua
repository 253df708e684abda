#!lua flags=no-write name=counter
---@diagnostic disable: shebang
return 1
