#!lua flags=no-write name=counter
return 1
