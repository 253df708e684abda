#!lua flags=no-writes,allow-stale
-- #!lua flags=no-write in a comment
return '#!lua name=x'
