evalsha::include_script!("scripts/beside.lua");

fn main() {}
