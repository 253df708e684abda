--- @include "/etc/evalsha/helpers.lua"
return 1
