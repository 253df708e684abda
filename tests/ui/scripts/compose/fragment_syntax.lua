--- @include "includes/unfinished"
return helper(KEYS[1])
