--- @include "includes/a"
return a()
