//! A prepared script call: keys and arguments already encoded, not yet sent.

use std::marker::PhantomData;

use redis::{FromRedisValue, ToRedisArgs, Value};

use crate::error::{Error, ErrorKind};
use crate::resp::{self, BulkWriter};
use crate::script::{Reload, Script};

/// Room left at the front of the buffer for the command head
/// (`*<n>\r\n$10\r\nEVALSHA_RO\r\n$40\r\n<sha>\r\n$<d>\r\n<numkeys>\r\n`), written in place
/// once the number of keys is known so the command is never copied.
const HEAD_ROOM: usize = 128;

/// One call of a script with its keys and arguments encoded, ready to run on a connection
/// or, later, to go into a pipeline.
///
/// The generated `call(..)` method returns one; `run(..)` is `call(..).run(con)`. `T` is
/// the reply type: the script's `@return` type, or chosen by the caller. `E` is the error
/// type its `run`/`run_async` return: [`Error`], or `redis::RedisError` (carrying the
/// `Error`, see [`Error::into_redis_wrapped`]) in a crate that sets `error = "redis"` in
/// `[package.metadata.evalsha]`, so that `X.call(..).run(con)?` converts as `X.run(con, ..)?`
/// does.
pub struct Call<T = Value, E = Error> {
    script: &'static Script,
    /// `[room][keys and args as bulk strings]`; the head ends at `room`.
    buf: Vec<u8>,
    /// Where the keys and args start: [`HEAD_ROOM`], or more for a long function name.
    room: usize,
    head: usize,
    keys: usize,
    argc: usize,
    reload: Reload,
    /// A parameter that produced other than one argument; reported at run time.
    bad_param: Option<(&'static str, usize)>,
    /// Sent with a token ([`Call::once`]): safe to send again.
    tokened: bool,
    /// How many times evalsha sends the call again after no answer ([`Call::retries`]).
    retries: u32,
    /// The first trailing optional argument given as `None`.
    left_out: Option<&'static str>,
    /// `(None one, later Some one)`: a value would move into a left-out place.
    gap: Option<(&'static str, &'static str)>,
    reply: PhantomData<fn() -> (T, E)>,
}

/// The error type a [`Call`] returns from `run`/`run_async`: [`Error`] itself, or
/// `redis::RedisError` carrying it (what [`Error::into_redis_wrapped`] makes). Sealed: only
/// these two.
pub trait CallError: sealed::Sealed + Sized {
    /// The call's failure as this error type.
    #[doc(hidden)]
    fn __from_error(err: Error) -> Self;
}

impl CallError for Error {
    fn __from_error(err: Error) -> Self {
        err
    }
}

impl CallError for redis::RedisError {
    fn __from_error(err: Error) -> Self {
        err.into_redis_wrapped()
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::Error {}
    impl Sealed for redis::RedisError {}
}

impl<T, E> Call<T, E> {
    /// Starts a call; `bytes_hint` is the expected size of the encoded keys and args.
    #[doc(hidden)]
    pub fn __new(script: &'static Script, bytes_hint: usize) -> Self {
        let mut buf = spare::take();
        // A function's loaded name can be longer than a SHA1.
        let room = HEAD_ROOM.max(script.target().len() + 88);
        buf.reserve(room + bytes_hint);
        buf.resize(room, 0);
        Self {
            script,
            buf,
            room,
            head: room,
            keys: 0,
            argc: 0,
            reload: script.reload(),
            bad_param: None,
            tokened: false,
            retries: 0,
            left_out: None,
            gap: None,
            reply: PhantomData,
        }
    }

    fn write(&mut self, value: &impl ToRedisArgs) -> usize {
        let mut w = BulkWriter {
            buf: &mut self.buf,
            count: 0,
        };
        value.write_redis_args(&mut w);
        w.count
    }

    fn write_one(&mut self, name: &'static str, value: &impl ToRedisArgs) -> usize {
        let n = self.write(value);
        if n != 1 && self.bad_param.is_none() {
            self.bad_param = Some((name, n));
        }
        n
    }

    /// Adds the key parameter `name`, which must produce exactly one argument.
    #[doc(hidden)]
    pub fn __key(&mut self, name: &'static str, key: &impl ToRedisArgs) {
        self.keys += self.write_one(name, key);
    }

    /// Adds every element of a variadic key parameter.
    #[doc(hidden)]
    pub fn __keys<K: ToRedisArgs>(&mut self, keys: &[K]) {
        for key in keys {
            self.keys += self.write(key);
        }
    }

    /// Adds the argument parameter `name`, which must produce exactly one argument.
    #[doc(hidden)]
    pub fn __arg(&mut self, name: &'static str, arg: &impl ToRedisArgs) {
        self.argc += self.write_one(name, arg);
    }

    /// Adds an optional argument: `None` is sent as an empty string so that the positions
    /// of the arguments after it do not shift.
    #[doc(hidden)]
    pub fn __opt_arg<A: ToRedisArgs>(&mut self, name: &'static str, arg: &Option<A>) {
        match arg {
            Some(arg) => self.__arg(name, arg),
            None => self.__arg(name, &""),
        }
    }

    /// Adds a trailing optional argument (`@arg NAME? T`, or inferred): `None` sends
    /// nothing, so the script sees `nil`. A value after a `None` would take its place:
    /// that call fails before anything is sent.
    #[doc(hidden)]
    pub fn __trailing_arg<A: ToRedisArgs>(&mut self, name: &'static str, arg: &Option<A>) {
        match arg {
            None => {
                self.left_out.get_or_insert(name);
            }
            Some(arg) => {
                if let Some(missing) = self.left_out
                    && self.gap.is_none()
                {
                    self.gap = Some((missing, name));
                }
                self.__arg(name, arg)
            }
        }
    }

    /// Adds a variadic key parameter of any `ToRedisArgs` (a `Vec`, a slice, a tuple of
    /// mixed types): every argument it produces is a key.
    #[doc(hidden)]
    pub fn __keys_all(&mut self, keys: &impl ToRedisArgs) {
        self.keys += self.write(keys);
    }

    /// Adds a variadic argument parameter of any `ToRedisArgs` (a `Vec`, a slice, a tuple
    /// of mixed types such as `(true, 5u64, "x")`), flattened.
    #[doc(hidden)]
    pub fn __args_all(&mut self, args: &impl ToRedisArgs) {
        self.argc += self.write(args);
    }

    /// Adds every element of a variadic argument parameter.
    #[doc(hidden)]
    pub fn __args<A: ToRedisArgs>(&mut self, args: &[A]) {
        for arg in args {
            self.argc += self.write(arg);
        }
    }

    /// Completes the call: writes the command head in front of the encoded values.
    #[doc(hidden)]
    pub fn __finish(mut self) -> Self {
        // Written on the stack: the head is at most ~90 bytes, and a heap `Vec` here
        // would be one allocation per call. Only a function name longer than ~40 bytes
        // needs the heap.
        let mut numkeys = itoa::Buffer::new();
        let parts = [
            self.command().as_bytes(),
            self.script.target().as_bytes(),
            numkeys.format(self.keys).as_bytes(),
        ];
        let argc = 3 + self.keys + self.argc;
        let room = self.room;
        if room == HEAD_ROOM {
            let mut head = resp::StackBuf::<HEAD_ROOM>::new();
            head.push_len(b'*', argc);
            parts.iter().for_each(|part| head.push_bulk(part));
            self.put_head(head.as_bytes());
        } else {
            let mut head = Vec::with_capacity(room);
            resp::push_len(&mut head, b'*', argc);
            parts
                .iter()
                .for_each(|part| resp::push_bulk(&mut head, part));
            self.put_head(&head);
        }
        self
    }

    fn put_head(&mut self, head: &[u8]) {
        self.head = self.room - head.len();
        let room = self.room;
        self.buf[self.head..room].copy_from_slice(head);
    }

    /// Chooses what happens on `NOSCRIPT` for this call, overriding the script type's
    /// default ([`Script::reload`], itself [`Reload::Load`] unless the macro said otherwise).
    pub fn reload(mut self, reload: Reload) -> Self {
        self.reload = reload;
        self
    }

    /// Sends the call again, up to `n` times, when no answer came ([`Ran::Unknown`]:
    /// a dropped connection, a timeout), on the same connection: useful on connections
    /// that reconnect by themselves (`ConnectionManager`, a cluster connection). Only a
    /// call with a token ([`Call::once`]) or of a read-only script (`#!lua
    /// flags=no-writes`) may be sent again: any other call with `n > 0` fails before
    /// anything is sent ([`ErrorKind::Unsupported`], [`Ran::No`]).
    ///
    /// [`Ran::Unknown`]: crate::Ran::Unknown
    /// [`Ran::No`]: crate::Ran::No
    pub fn retries(mut self, n: u32) -> Self {
        self.retries = n;
        self
    }

    /// How many times the call may be sent again after no answer: [`Call::retries`].
    pub(crate) fn retry_budget(&self) -> u32 {
        self.retries
    }

    /// True when the call carries a token ([`Call::once`]).
    pub(crate) fn is_tokened(&self) -> bool {
        self.tokened
    }

    /// The same call sent as `script` (a call's script wrapped for its token), with `key`
    /// after its keys and `args` after its arguments. The call is packed anew.
    pub(crate) fn with_token(
        mut self,
        script: &'static Script,
        key: &[u8],
        args: &[&[u8]],
    ) -> Self {
        let values = self.packed_values();
        let split = resp::bulks(values)
            .take(self.keys)
            .map(|key| bulk_len(key.len()))
            .sum::<usize>();
        let extra: usize = args.iter().map(|arg| bulk_len(arg.len())).sum();
        let mut buf = Vec::with_capacity(self.room + values.len() + bulk_len(key.len()) + extra);
        buf.resize(self.room, 0);
        buf.extend_from_slice(&values[..split]);
        resp::push_bulk(&mut buf, key);
        buf.extend_from_slice(&values[split..]);
        for arg in args {
            resp::push_bulk(&mut buf, arg);
        }
        spare::give(std::mem::replace(&mut self.buf, buf));
        self.script = script;
        self.keys += 1;
        self.argc += args.len();
        self.tokened = true;
        self.__finish()
    }

    /// The script this call runs.
    pub fn script(&self) -> &'static Script {
        self.script
    }

    /// The reload policy of this call.
    pub fn reload_policy(&self) -> Reload {
        self.reload
    }

    /// Number of `KEYS` this call sends.
    pub fn num_keys(&self) -> usize {
        self.keys
    }

    /// Number of `ARGV` this call sends.
    pub fn num_args(&self) -> usize {
        self.argc
    }

    /// The encoded keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &[u8]> {
        resp::bulks(&self.buf[self.room..]).take(self.keys)
    }

    /// The encoded arguments, in order.
    pub fn args(&self) -> impl Iterator<Item = &[u8]> {
        resp::bulks(&self.buf[self.room..]).skip(self.keys)
    }

    /// `EVALSHA` or, for `#!lua flags=no-writes` scripts, `EVALSHA_RO`; `FCALL` or
    /// `FCALL_RO` for a function.
    pub(crate) fn command(&self) -> &'static str {
        self.script.call_command()
    }

    /// `EVAL` or `EVAL_RO`: the fallback that sends the body.
    pub(crate) fn eval_command(&self) -> &'static str {
        self.script.body_command()
    }

    /// Fails before anything is sent when a parameter produced other than one argument,
    /// or a function call asks for [`Reload::Eval`] (a function has no `EVAL` form).
    pub(crate) fn check(&self) -> Result<(), Error> {
        if self.reload == Reload::Eval && !self.script.has_body_form() {
            return Err(Error::new(
                self.script,
                ErrorKind::Unsupported {
                    what: "Reload::Eval for a Redis Function (a function cannot be sent with its \
                           body); use Reload::Load or Reload::Never",
                },
                None,
            ));
        }
        if let Some((missing, given)) = self.gap {
            return Err(Error::new(
                self.script,
                ErrorKind::OptionalGap { missing, given },
                None,
            ));
        }
        match self.bad_param {
            None => Ok(()),
            Some((name, count)) => Err(Error::new(
                self.script,
                ErrorKind::Argument { name, count },
                None,
            )),
        }
    }

    /// The packed `EVALSHA` command.
    /// The same call with its reply type forgotten, for pipelines that hold calls of
    /// several scripts.
    pub(crate) fn erase(mut self) -> Call<Value> {
        Call {
            script: self.script,
            buf: std::mem::take(&mut self.buf),
            room: self.room,
            head: self.head,
            keys: self.keys,
            argc: self.argc,
            reload: self.reload,
            bad_param: self.bad_param.take(),
            tokened: self.tokened,
            retries: self.retries,
            left_out: self.left_out,
            gap: self.gap,
            reply: PhantomData,
        }
    }

    pub(crate) fn packed(&self) -> &[u8] {
        &self.buf[self.head..]
    }

    /// The packed `EVALSHA` command, for the benchmarks' pipeline baseline. Not a public
    /// API.
    #[doc(hidden)]
    pub fn __packed(&self) -> &[u8] {
        self.packed()
    }

    /// The keys and args as bulk strings, after `numkeys`.
    pub(crate) fn packed_values(&self) -> &[u8] {
        &self.buf[self.room..]
    }

    /// The packed `EVAL <body>` command for the [`Reload::Eval`] fallback.
    pub(crate) fn packed_eval(&self) -> Vec<u8> {
        let values = self.packed_values();
        let mut out = Vec::with_capacity(64 + self.script.source().len() + values.len());
        resp::push_len(&mut out, b'*', 3 + self.keys + self.argc);
        resp::push_bulk(&mut out, self.eval_command().as_bytes());
        resp::push_bulk(&mut out, self.script.source().as_bytes());
        resp::push_bulk(&mut out, itoa::Buffer::new().format(self.keys).as_bytes());
        out.extend_from_slice(values);
        out
    }

    /// `SCRIPT LOAD <body>` (`FUNCTION LOAD` for a function) followed by the call, packed
    /// as one pipeline.
    pub(crate) fn packed_load_and_call(&self) -> Vec<u8> {
        let call = self.packed();
        let mut out = Vec::with_capacity(64 + self.script.source().len() + call.len());
        push_load(&mut out, self.script);
        out.extend_from_slice(call);
        out
    }

    /// The call as a `redis::Cmd`: `EVALSHA`/`FCALL` naming the script or function.
    pub(crate) fn to_call_cmd(&self) -> redis::Cmd {
        self.to_cmd(self.command(), self.script.target())
    }

    /// The call as a `redis::Cmd` carrying the body: `EVAL` (or `EVAL_RO`).
    pub(crate) fn to_body_cmd(&self) -> redis::Cmd {
        self.to_cmd(self.eval_command(), self.script.source())
    }

    /// The call as a `redis::Cmd` under `command` (`EVALSHA`, `EVAL`, ...), for connection
    /// types that take commands rather than bytes.
    fn to_cmd(&self, command: &str, script_or_sha: &str) -> redis::Cmd {
        let values = self.packed_values();
        let mut cmd = redis::Cmd::with_capacity(3 + self.keys + self.argc, values.len() + 64);
        cmd.arg(command).arg(script_or_sha).arg(self.keys);
        for value in resp::bulks(values) {
            cmd.arg(value);
        }
        cmd
    }
}

impl<T: FromRedisValue, E> Call<T, E> {
    /// Converts the reply to `T`, or names the expected type.
    pub(crate) fn decode(&self, value: Value) -> Result<T, Error> {
        T::from_redis_value(value).map_err(|err| {
            Error::new(
                self.script,
                ErrorKind::Reply {
                    expected: std::any::type_name::<T>(),
                },
                Some(err.into()),
            )
        })
    }
}

/// The length of `bytes` as a RESP bulk string: `$<len>\r\n<bytes>\r\n`.
fn bulk_len(len: usize) -> usize {
    1 + itoa::Buffer::new().format(len).len() + 2 + len + 2
}

/// Appends a packed `SCRIPT LOAD <body>`, or `FUNCTION LOAD <body>` for a function.
pub(crate) fn push_load(out: &mut Vec<u8>, script: &Script) {
    resp::push_command(out, &script.load_command());
}

/// The command that loads `script`, as a `redis::Cmd`.
#[cfg(any(feature = "aio", feature = "cluster"))]
pub(crate) fn load_cmd(script: &Script) -> redis::Cmd {
    resp::to_cmd(&script.load_command())
}

impl<T, E> Drop for Call<T, E> {
    fn drop(&mut self) {
        spare::give(std::mem::take(&mut self.buf));
    }
}

/// One spare call buffer per thread, so that a warm `run` (build a call, send it, drop
/// it) allocates no buffer: the next call on the thread takes the previous one's.
mod spare {
    use std::cell::Cell;

    /// Larger buffers are freed rather than kept, so a one-off huge call does not pin
    /// its memory in the thread for ever.
    const KEEP_AT_MOST: usize = 16 * 1024;

    thread_local! {
        static SPARE: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    }

    /// The thread's spare buffer, empty, or a new one.
    pub(super) fn take() -> Vec<u8> {
        let mut buf = SPARE.try_with(Cell::take).unwrap_or_default();
        buf.clear();
        buf
    }

    /// Keeps `buf` as the thread's spare when there is none yet and it is not too big.
    pub(super) fn give(buf: Vec<u8>) {
        if buf.capacity() == 0 || buf.capacity() > KEEP_AT_MOST {
            return;
        }
        let _ = SPARE.try_with(|spare| {
            let old = spare.take();
            // Keep the one already there if it exists; either is fine.
            spare.set(if old.capacity() == 0 { buf } else { old });
        });
    }
}

impl<T, E> std::fmt::Debug for Call<T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys and args may hold secrets: show their counts only.
        f.debug_struct("Call")
            .field("script", &self.script.name())
            .field("keys", &self.keys)
            .field("args", &self.argc)
            .field("reload", &self.reload)
            .field("tokened", &self.tokened)
            .field("retries", &self.retries)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static S: Script = Script::__new(
        "t.lua",
        "0123456789012345678901234567890123456789",
        "return 1",
        false,
        Reload::Load,
    );

    #[test]
    fn packs_evalsha_in_place() {
        let mut call: Call<i64> = Call::__new(&S, 0);
        call.__key("k", &"user:42");
        call.__arg("limit", &10u64);
        let call = call.__finish();
        assert_eq!(
            call.packed(),
            b"*5\r\n$7\r\nEVALSHA\r\n$40\r\n0123456789012345678901234567890123456789\r\n$1\r\n1\r\n$7\r\nuser:42\r\n$2\r\n10\r\n"
        );
        assert!(call.check().is_ok());
        let parsed = redis::parse_redis_value(call.packed()).unwrap();
        assert!(matches!(parsed, Value::Array(ref a) if a.len() == 5));
        assert_eq!(call.keys().collect::<Vec<_>>(), vec![&b"user:42"[..]]);
        assert_eq!(call.args().collect::<Vec<_>>(), vec![&b"10"[..]]);
    }

    #[test]
    fn a_param_that_expands_is_refused() {
        let mut call: Call<i64> = Call::__new(&S, 0);
        call.__key("k", &vec!["a", "b"]);
        let call = call.__finish();
        let err = call.check().unwrap_err();
        assert_eq!(
            err.kind(),
            &ErrorKind::Argument {
                name: "k",
                count: 2
            }
        );
    }

    #[test]
    fn none_keeps_positions() {
        let mut call: Call<i64> = Call::__new(&S, 0);
        call.__opt_arg::<u64>("a", &None);
        call.__arg("b", &7u8);
        let call = call.__finish();
        assert_eq!(call.args().collect::<Vec<_>>(), vec![&b""[..], b"7"]);
        let eval = call.packed_eval();
        assert!(eval.starts_with(b"*5\r\n$4\r\nEVAL\r\n$8\r\nreturn 1\r\n$1\r\n0\r\n"));
    }
}
