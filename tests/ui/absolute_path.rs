evalsha::include_script!("/etc/evalsha/x.lua");

fn main() {}
