// A check firing, the same problems silenced with `---@diagnostic` comments, and
// look-alikes that must not fire: only the first file may have errors.
evalsha::include_script!(Fires = "../../../../tests/ui/scripts/checks/bool_arg_fires.lua");
evalsha::include_script!(Silenced = "../../../../tests/ui/scripts/checks/bool_arg_silenced.lua");
evalsha::include_script!(LookAlike = "../../../../tests/ui/scripts/checks/bool_arg_lookalike.lua");

fn main() {}
