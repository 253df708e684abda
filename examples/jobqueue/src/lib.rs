//! A job queue with visibility timeouts, as rsmq and Amazon SQS have: [`Queue::send`] a
//! message, [`Queue::receive`] it (it is then hidden for a visibility timeout, and comes
//! back if the worker does not finish), [`Queue::delete`] it when done, or
//! [`Queue::change_visibility`] to ask for more time or give it back.
//!
//! Every operation is one Lua script in `scripts/`, embedded with
//! `evalsha::include_script!` and called as a typed method: one `EVALSHA` per operation,
//! and after a `SCRIPT FLUSH`, a restart or a failover the script is loaded again on its
//! own. Times are the server's (`TIME`), so workers on machines with skewed clocks agree.
//!
//! The API is generic over any `redis::aio::ConnectionLike` (a `MultiplexedConnection`,
//! a `ConnectionManager`, a pooled connection, `&mut dyn ConnectionLike`), with no `Send`
//! bound: the futures are `Send` whenever the connection is. The keys of one queue share
//! a hash tag (`{name}`), so a queue works on Redis Cluster too.
//!
//! ```no_run
//! # async fn demo(con: &mut redis::aio::MultiplexedConnection) -> Result<(), evalsha::Error> {
//! let jobs = jobqueue::Queue::new("emails");
//! jobs.send(con, b"welcome user 42", 0).await?;
//! if let Some(message) = jobs.receive(con, 30_000).await? {
//!     // ... send the email; if this worker dies, the job is visible again in 30 s ...
//!     jobs.delete(con, message.id).await?;
//! }
//! # Ok(())
//! # }
//! ```

use redis::aio::ConnectionLike;

use scripts::{ChangeMessageVisibility, DeleteMessage, ReceiveMessage, SendMessage};

/// The scripts, one type per file (`send_message.lua` → `SendMessage`), kept out of the
/// crate's public API by this private module.
mod scripts {
    evalsha::include_script!("scripts/send_message.lua");
    evalsha::include_script!("scripts/receive_message.lua");
    evalsha::include_script!("scripts/delete_message.lua");
    evalsha::include_script!("scripts/change_message_visibility.lua");
}

/// What every operation returns: evalsha's error names the script that failed.
pub type Result<T> = std::result::Result<T, evalsha::Error>;

/// A received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The id [`Queue::send`] returned.
    pub id: u64,
    /// The body as sent.
    pub body: Vec<u8>,
    /// How many times it was received, this time included: more than 1 means an earlier
    /// worker did not finish within its visibility timeout.
    pub receive_count: u64,
}

/// One queue: four keys sharing the hash tag `{name}`.
#[derive(Debug, Clone)]
pub struct Queue {
    visible: String,
    bodies: String,
    receives: String,
    ids: String,
}

impl Queue {
    /// The queue called `name` (created on first [`send`](Self::send)).
    pub fn new(name: &str) -> Queue {
        let key = |what: &str| format!("jobqueue:{{{name}}}:{what}");
        Queue {
            visible: key("visible"),
            bodies: key("bodies"),
            receives: key("receives"),
            ids: key("ids"),
        }
    }

    /// Adds a message, receivable once `delay_ms` has passed; returns its id.
    pub async fn send<C: ConnectionLike + ?Sized>(
        &self,
        con: &mut C,
        body: &[u8],
        delay_ms: u64,
    ) -> Result<u64> {
        SendMessage
            .run_async(con, &self.visible, &self.bodies, &self.ids, body, delay_ms)
            .await
    }

    /// Takes the message that has been visible longest, hiding it for `visibility_ms`;
    /// `None` when no message is visible.
    pub async fn receive<C: ConnectionLike + ?Sized>(
        &self,
        con: &mut C,
        visibility_ms: u64,
    ) -> Result<Option<Message>> {
        let reply = ReceiveMessage
            .run_async(
                con,
                &self.visible,
                &self.bodies,
                &self.receives,
                visibility_ms,
            )
            .await?;
        Ok(reply.map(|(id, body, receive_count)| Message {
            id,
            body,
            receive_count,
        }))
    }

    /// Deletes a message; false when there was none with that id.
    pub async fn delete<C: ConnectionLike + ?Sized>(&self, con: &mut C, id: u64) -> Result<bool> {
        DeleteMessage
            .run_async(con, &self.visible, &self.bodies, &self.receives, id)
            .await
    }

    /// Makes a message visible again `visibility_ms` from now (0: at once); false when there
    /// is no message with that id.
    pub async fn change_visibility<C: ConnectionLike + ?Sized>(
        &self,
        con: &mut C,
        id: u64,
        visibility_ms: u64,
    ) -> Result<bool> {
        ChangeMessageVisibility
            .run_async(con, &self.visible, id, visibility_ms)
            .await
    }

    /// The scripts of every operation, to load ahead with `evalsha::preload(_async)`, for
    /// example in a connection pool's connect hook.
    pub fn scripts() -> [&'static evalsha::Script; 4] {
        [
            SendMessage::script(),
            ReceiveMessage::script(),
            DeleteMessage::script(),
            ChangeMessageVisibility::script(),
        ]
    }
}
