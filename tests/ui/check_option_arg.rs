// A check firing, the same problem silenced with `---@diagnostic`, and look-alikes that
// must not fire: only the first file may have errors.
evalsha::include_script!(Fires = "../../../../tests/ui/scripts/checks/option_arg_fires.lua");
evalsha::include_script!(Silenced = "../../../../tests/ui/scripts/checks/option_arg_silenced.lua");
evalsha::include_script!(LookAlike = "../../../../tests/ui/scripts/checks/option_arg_lookalike.lua");

fn main() {}
