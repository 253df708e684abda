// A check firing, the same problems silenced with `---@diagnostic` comments, and
// look-alikes that must not fire: only the first file may have errors.
evalsha::include_script!(Fires = "../../../../tests/ui/scripts/checks/global_write_fires.lua");
evalsha::include_script!(Silenced = "../../../../tests/ui/scripts/checks/global_write_silenced.lua");
evalsha::include_script!(LookAlike = "../../../../tests/ui/scripts/checks/global_write_lookalike.lua");

fn main() {}
