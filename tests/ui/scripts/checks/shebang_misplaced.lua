-- A comment before the #! line.
#!lua flags=no-writes
return 1
