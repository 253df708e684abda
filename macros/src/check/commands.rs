//! How the command checks look a `redis.call` up: the command, or its subcommand where a
//! server lists subcommands (`CONFIG GET` is `config|get` on Redis 7).

use super::scope::RedisCall;
use crate::env::{Command, Server};

/// The lowercase command name of `call`, when it is a literal.
pub(crate) fn name(call: &RedisCall) -> Option<String> {
    call.command.as_ref().map(|(c, _)| c.to_lowercase())
}

/// The entry `server` runs `call` by: the subcommand's own entry when the server has one,
/// else the command's; `None` when the server does not know the command.
pub(crate) fn entry<'s>(server: &'s Server, call: &RedisCall) -> Option<&'s Command> {
    let name = name(call)?;
    if let Some(second) = &call.second
        && let Some(sub) = server.commands.get(format!("{name}|{second}").as_str())
    {
        return Some(sub);
    }
    server.commands.get(name.as_str())
}
