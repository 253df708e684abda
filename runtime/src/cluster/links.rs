//! redis's two cluster connection types as [`Link`]s: how each sends a step of a call to
//! where redis routes it (through its plain transport), or to one node after a redirect.

use redis::cluster_routing::RoutingInfo;
use redis::{RedisResult, Value};

#[cfg(feature = "cluster-async")]
use super::redirect::library_load_route;
use super::redirect::{Link, Target, by_address};
use crate::call::Call;
use crate::call::load_cmd;
use crate::plain::SyncTransport;
use crate::transport::{Sent, Step, Transport};

/// `redis::cluster::ClusterConnection`.
pub(crate) struct SyncLink<'c>(pub(crate) &'c mut redis::cluster::ClusterConnection);

impl Link for SyncLink<'_> {
    const MAY_WAIT: bool = false;

    async fn send<T, E>(
        &mut self,
        step: Step,
        call: &Call<T, E>,
        target: &Target,
    ) -> RedisResult<Sent> {
        let Some((node, asking)) = target.node() else {
            return SyncTransport::new(&mut *self.0, true)
                .send(step, call)
                .await;
        };
        // Each `route_command` is one command on the connection to `node`; `ASKING` then
        // applies to the next command on that connection, which is the call.
        let con = &mut *self.0;
        let there = || RoutingInfo::SingleNode(by_address(node));
        let loaded = match step {
            Step::LoadAndCall => Some(reply(con.route_command(&load_cmd(call.script()), there()))?),
            Step::Call | Step::CallWithBody => None,
        };
        if asking {
            con.route_command(&redis::cmd("ASKING"), there())?;
        }
        let reply = reply(con.route_command(&step.call_cmd(call), there()))?;
        Ok(Sent { loaded, reply })
    }
}

/// `route_command` turns an error reply into an `Err`; give it back as the reply it was
/// (as a pipeline's replies are), so that the load's and the call's errors are told apart
/// as on every other connection. A redirect stays an `Err`, for the redirect loop.
fn reply(result: RedisResult<Value>) -> RedisResult<Value> {
    match result {
        Err(err) if Target::redirected_by(&err).is_none() => {
            redis::ServerError::try_from(err).map(Value::ServerError)
        }
        other => other,
    }
}

/// `redis::cluster_async::ClusterConnection`.
#[cfg(feature = "cluster-async")]
pub(crate) struct AsyncLink<'c>(pub(crate) &'c mut redis::cluster_async::ClusterConnection);

#[cfg(feature = "cluster-async")]
impl Link for AsyncLink<'_> {
    const MAY_WAIT: bool = true;

    async fn send<T, E>(
        &mut self,
        step: Step,
        call: &Call<T, E>,
        target: &Target,
    ) -> RedisResult<Sent> {
        use crate::plain::AsyncTransport;
        // The node a redirect named, or for a function's load and retry the slot's
        // primary (see `library_load_route`), where redis would route by the call.
        let (route, asking) = match target.node() {
            Some((node, asking)) => (by_address(node), asking),
            None => match library_load_route(step, call) {
                Some(primary) => (primary, false),
                None => {
                    return AsyncTransport::new(&mut *self.0, true)
                        .send(step, call)
                        .await;
                }
            },
        };
        // One pipeline on the connection to that node: `[SCRIPT LOAD] [ASKING] call`.
        let mut pipe = redis::pipe();
        let load = step == Step::LoadAndCall;
        if load {
            pipe.add_command(load_cmd(call.script()));
        }
        if asking {
            pipe.cmd("ASKING");
        }
        pipe.add_command(step.call_cmd(call));
        let count = 1 + usize::from(load) + usize::from(asking);
        let replies = self.0.route_pipeline(pipe, 0, count, route).await?;
        Sent::of_pipeline(replies, load)
    }
}
