//! Exactly once: [`Token`] and [`Call::once`]. A call made with a token can be sent
//! again after an unknown outcome ([`Ran::Unknown`](crate::Ran::Unknown)): the server
//! keeps what the token's run replied, and a second send returns that reply without
//! running the script again.
//!
//! # How
//!
//! **The record is written by the run itself.** A tokened call does not send the script
//! as written: it sends the script *wrapped* ([`wrap`]), a script of its own (its own
//! text, SHA1 and load state, built from the embedded text once per script type on first
//! use and kept for the life of the program; see `Script::tokened`). The call gets one
//! more key, the record's key ([`record_key`]), after its own keys, and two more
//! arguments after its own: the call's digest ([`digest`]: SHA1, 20 bytes, of the
//! script's SHA1, the keys and the arguments, computed by the client, which saves the
//! server 1.5 µs a call) and the record's time to live in milliseconds ([`Token::ttl`]).
//! The wrapper, in one atomic run of the server:
//!
//! 1. takes its key and arguments off `KEYS` and `ARGV`, so the script's own code sees
//!    `#KEYS`, `KEYS[n]`, `#ARGV`, `ARGV[n]` exactly as without a token;
//! 2. reads the record (`GET`): when there is one with the same digest it returns the
//!    recorded reply, or raises the recorded error again, and runs nothing; with another
//!    digest it returns the error reply `TOKENREUSED ...` ([`ErrorKind::TokenReused`],
//!    [`Ran::No`](crate::Ran::No)) and runs nothing;
//! 3. otherwise runs the script's code as a function through `xpcall`, so an error it
//!    raises (after writing, perhaps) is caught, then writes the record (`SET key
//!    <msgpack of digest, ok, reply or error, line> PX ttl`) and returns the reply or
//!    raises the error again.
//!
//! The record and the script's effects are written by one script run, so they exist
//! together or not at all, on the primary and, by replication, on its replicas. The
//! record is serialized with `cmsgpack` (every server of the matrix has it: Redis 6.2,
//! 7.0, 8.0, Valkey 8.1, 9.1): strings stay binary-safe, and the Lua value the script
//! returned is kept as it was, so the server converts it to the same reply on replay
//! (integers, strings, tables, `{ok=..}`, `{err=..}`, booleans, nil).
//!
//! **What the user's code sees is unchanged.** The wrapper's code before the script sits
//! on the script's first line (after its `#!lua` line, which stays first so its flags
//! apply), so every line of the script keeps its number; the code after it is on lines
//! of its own below. The compile-time checks read the file as written, never the wrapper.
//! An error the script raises keeps its text; the server's own position of it (`on
//! @user_script:N.`, or Redis 6.2's `@user_script:N:`) then names the wrapper's line that
//! raises it again, so the wrapper's error handler reads the line where it was raised
//! (with `error("", level)`, as `debug` is not available to scripts) and appends
//! ` [raised at user_script:N]`, which [`Error::line`](crate::Error::line) reads first.
//! The first reply and the replayed one are the same text.
//!
//! **Functions.** A script cannot call `FCALL`, so a function is wrapped inside its
//! library instead: a tokened call of `push` loads, on first use, the library rewritten
//! ([`wrap_library`]) under the name `<library>_once` (with the build's suffix, so
//! `functions::prune` sees it as a library of its own), where every
//! `redis.register_function` of the file registers the callback wrapped with the same
//! steps under `push_once` (with the suffix). The file's lines keep their numbers (the
//! wrapper's code starts the second line, after `#!lua name=`).
//!
//! **The record's key** is in the hash slot of the call's first key, so a cluster routes
//! the call, effects and record together: `evalsha:once:{tag}:<token>`, where `tag` is the
//! first key's own hash tag when it has a valid one (`{user:42}:cart` → `user:42`), else a
//! short tag chosen to hash to the first key's slot (a key without a valid tag, also one
//! holding `{` or `}` that a wrapping `{..}` would cut short). A keyless script's record
//! key is `evalsha:once:<token>`, routed by its own slot.
//!
//! # Limits
//!
//! - The same token with a first key of another hash slot names another record: it runs,
//!   and is not reported as [`ErrorKind::TokenReused`]. Within a slot, reuse is caught.
//! - A read-only script (`#!lua flags=no-writes`) cannot write a record, and running it
//!   twice changes nothing: its calls ignore the token.
//! - A reply nested deeper than `cmsgpack`'s 16 levels is recorded cut at that depth.
//! - The record costs server memory until its TTL ends (see the README's "Exactly once").

use std::sync::OnceLock;
use std::time::Duration;

use crate::call::Call;
use crate::error::{Error, ErrorKind, Resent};
use crate::library::Library;
use crate::ran::{self, Ran};
use crate::script::{Kind, Script};
use crate::slot;

/// The prefix of every record key.
const PREFIX: &str = "evalsha:once:";

/// An idempotency key: the name under which the server records what a call replied, so
/// that sending the same call again with the same token returns that reply instead of
/// running the script twice. See [`Call::once`].
///
/// ```
/// # use evalsha_runtime as evalsha;
/// use std::time::Duration;
/// let token = evalsha::Token::new();                       // 128 random bits
/// let named = evalsha::Token::from("order-42").ttl(Duration::from_secs(3600));
/// assert_eq!(named.as_str(), "order-42");
/// assert_eq!(token.as_str().len(), 32);
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Token {
    id: String,
    ttl: Duration,
}

impl Token {
    /// How long the server keeps a token's record unless [`Token::ttl`] says otherwise:
    /// 24 hours.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(24 * 60 * 60);

    /// A new token of 128 random bits (from the operating system), as 32 hex digits.
    ///
    /// # Panics
    ///
    /// When the operating system has no randomness to give.
    pub fn new() -> Self {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).expect("the operating system's random numbers");
        let mut id = String::with_capacity(32);
        for byte in bytes {
            id.push(char::from_digit(u32::from(byte >> 4), 16).unwrap_or('0'));
            id.push(char::from_digit(u32::from(byte & 15), 16).unwrap_or('0'));
        }
        Self::from(id)
    }

    /// The same token with the record kept `ttl` (default [`Token::DEFAULT_TTL`], 24 hours;
    /// rounded up to whole milliseconds, at least 1). After that the token is new again.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// How long the server keeps the record of a call made with this token.
    pub fn time_to_live(&self) -> Duration {
        self.ttl
    }

    /// The token's text, as it appears in the record's key.
    pub fn as_str(&self) -> &str {
        &self.id
    }

    /// The TTL in milliseconds, as the wrapper's `SET .. PX` takes it.
    fn ttl_ms(&self) -> u64 {
        let ms = self.ttl.as_nanos().div_ceil(1_000_000);
        u64::try_from(ms).unwrap_or(u64::MAX).max(1)
    }
}

impl Default for Token {
    fn default() -> Self {
        Self::new()
    }
}

impl From<String> for Token {
    /// A token named by the caller (an order id, a request id).
    fn from(id: String) -> Self {
        Self {
            id,
            ttl: Token::DEFAULT_TTL,
        }
    }
}

impl From<&str> for Token {
    /// A token named by the caller (an order id, a request id).
    fn from(id: &str) -> Self {
        Self::from(id.to_owned())
    }
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.id)
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("id", &self.id)
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl<T, E> Call<T, E> {
    /// Makes the call safe to send again: the server records what this call replied
    /// (its value or its error) under `token`, in the same atomic run that applies the
    /// script's effects, and a later send of the same call with the same token returns
    /// that reply without running the script again. The same token with another script,
    /// other keys or other arguments fails with [`ErrorKind::TokenReused`] and runs
    /// nothing. The record lives [`Token::ttl`].
    ///
    /// A read-only script (`#!lua flags=no-writes`, or a function registered with
    /// `flags={'no-writes'}`) ignores the token: running it again changes nothing. A
    /// function is called in its library's tokened form, loaded on first use (see the
    /// README's "Exactly once" for how it works and what it costs).
    pub fn once(self, token: &Token) -> Self {
        let script = self.script();
        if script.is_read_only() || self.is_tokened() {
            return self;
        }
        let key = record_key(self.keys().next(), token.as_str());
        let wrapped = script.tokened(wrap);
        let mut ttl = itoa::Buffer::new();
        let digest = digest(&self);
        let args: [&[u8]; 2] = [&digest, ttl.format(token.ttl_ms()).as_bytes()];
        self.with_token(wrapped, key.as_bytes(), &args)
    }
}

/// What [`Call::retries`] decides after each send: the connection entry points
/// (`connection`) send a call through this, sync or async alike.
pub(crate) struct Resends {
    /// Sends so far.
    sends: u32,
    /// On a cluster connection (redis's, or one it routes), which may resend by itself.
    cluster: bool,
}

impl Resends {
    /// Before the first send: fails when the call asks for retries it may not have.
    pub(crate) fn start<T, E>(call: &Call<T, E>, cluster: bool) -> Result<Self, Error> {
        if call.retry_budget() > 0 && !call.is_tokened() && !call.script().is_read_only() {
            return Err(Error::new(
                call.script(),
                ErrorKind::Unsupported {
                    what: "retries(n) on a call without a token: after no answer it may have \
                           run, and sending it again could run it twice; add .once(&token) \
                           (or make the script read-only, #!lua flags=no-writes)",
                },
                None,
            ));
        }
        Ok(Self { sends: 0, cluster })
    }

    /// After a send that returned `result`: send again after a pause, or return.
    pub(crate) fn next<T, E, V>(&mut self, call: &Call<T, E>, result: Result<V, Error>) -> Next<V> {
        self.sends += 1;
        match result {
            Err(err) if err.ran() == Ran::Unknown && self.sends <= call.retry_budget() => {
                // Time for a connection that reconnects by itself to do so: 50 ms, then
                // doubling, at most 800 ms.
                Next::Pause(Duration::from_millis(50 << (self.sends - 1).min(4)))
            }
            Err(err) if err.ran() == Ran::Unknown => {
                Next::Return(Err(err.resent(if call.is_tokened() {
                    Resent::WithToken(self.sends)
                } else if self.cluster {
                    Resent::MaybeByRedis
                } else {
                    Resent::No
                })))
            }
            other => Next::Return(other),
        }
    }
}

/// What [`Resends::next`] decided.
pub(crate) enum Next<V> {
    /// Send the call again after this pause.
    Pause(Duration),
    /// Return this outcome.
    Return(Result<V, Error>),
}

/// The digest of what `call` sends: SHA1 (20 bytes) of the script's SHA1, the number of
/// keys and the keys and arguments as RESP bulk strings (an unambiguous encoding).
fn digest<T, E>(call: &Call<T, E>) -> [u8; 20] {
    let mut sha1 = sha1_smol::Sha1::new();
    sha1.update(call.script().sha1().as_bytes());
    sha1.update(itoa::Buffer::new().format(call.num_keys()).as_bytes());
    sha1.update(call.packed_values());
    sha1.digest().bytes()
}

/// The record's key for a call whose first key is `first` (see the module docs).
fn record_key(first: Option<&[u8]>, token: &str) -> String {
    let Some(first) = first else {
        return format!("{PREFIX}{token}");
    };
    match slot::hash_tag(first).map(std::str::from_utf8) {
        Some(Ok(tag)) if !tag.contains('}') => format!("{PREFIX}{{{tag}}}:{token}"),
        _ => format!("{PREFIX}{{{}}}:{token}", slot_tag(slot::slot(first))),
    }
}

/// A short tag (decimal digits) whose hash slot is `slot`: the first number that hashes
/// there, from a table of all 16,384 slots built on first use (about 170,000 CRC16s of
/// short strings, a few milliseconds, kept in 64 KiB).
fn slot_tag(slot: u16) -> u32 {
    static TAGS: OnceLock<Vec<u32>> = OnceLock::new();
    let tags = TAGS.get_or_init(|| {
        let mut tags = vec![u32::MAX; usize::from(slot::SLOTS)];
        let mut left = tags.len();
        let mut n: u32 = 0;
        while left > 0 {
            let at = usize::from(slot::slot(itoa::Buffer::new().format(n).as_bytes()));
            if tags[at] == u32::MAX {
                tags[at] = n;
                left -= 1;
            }
            n += 1;
        }
        tags
    });
    tags[usize::from(slot)]
}

/// The wrapper's code before the script's first line, on that line (no newline): takes
/// the record key, the digest and the TTL off `KEYS`/`ARGV`, replays or refuses a recorded
/// call, defines the error handler, and opens the function that holds the script.
/// `{REUSED}` is the `TOKENREUSED` reply, `{AT}` the line marker.
const BEFORE: &str = "local __once_k, __once_d, __once_ttl = KEYS[#KEYS], ARGV[#ARGV - 1], ARGV[#ARGV]; \
KEYS[#KEYS] = nil; ARGV[#ARGV] = nil; ARGV[#ARGV] = nil; \
local __once_raise = function(e, at) \
if at then if type(e) == 'table' and type(e.err) == 'string' then e = {err = e.err .. at} \
elseif type(e) == 'string' then e = e .. at end end; error(e, 0) end; \
local __once_rec = redis.call('GET', __once_k); \
if __once_rec then local d, ok, v, at = cmsgpack.unpack(__once_rec); \
if d ~= __once_d then return redis.error_reply('{REUSED}') end; \
if ok then return v end; __once_raise(v, at) end; \
local __once_h = function(e) local _, w = pcall(error, '', 3); \
if w == '' then _, w = pcall(error, '', 4) end; \
local line = string.match(w, 'user_script:(%d+)'); \
return {e, line and ('{AT}' .. line .. ']')} end; \
local __once_ok, __once_v = xpcall(function() ";

/// The wrapper's code after the script, on lines of its own: closes the function, writes
/// the record, and returns the reply or raises the error again.
const AFTER: &str = "\nend, __once_h)
local __once_at
if not __once_ok then __once_at = __once_v[2]; __once_v = __once_v[1] end
redis.call('SET', __once_k, cmsgpack.pack(__once_d, __once_ok, __once_v, __once_at), 'PX', __once_ttl)
if __once_ok then return __once_v end
__once_raise(__once_v, __once_at)
";

/// `script` as tokened calls send it: for a script, the script wrapped ([`wrap_script`]);
/// for a function, the same function of the library rewritten ([`wrap_library`]).
fn wrap(script: &Script) -> Script {
    match script.kind() {
        Kind::Script => {
            let (sha1, source) = wrap_script(script);
            script.derived(sha1, source, Kind::Script)
        }
        Kind::Function { library, loaded } => {
            let tokened = library.tokened(wrap_library);
            let loaded = leak(once_name(loaded, library.suffix().map_or(0, str::len)));
            let kind = Kind::Function {
                library: tokened,
                loaded,
            };
            script.derived(tokened.sha1(), script.source(), kind)
        }
    }
}

/// The wrapped text of `script` for tokened calls, and its SHA1, leaked once per script
/// type (`Script::tokened` keeps them for the life of the program).
fn wrap_script(script: &Script) -> (&'static str, &'static str) {
    let source = script.source();
    // A `#!lua` line stays first: the server reads the script's flags there.
    let (shebang, body) = match source.find('\n') {
        Some(end) if source.starts_with("#!") => source.split_at(end + 1),
        None if source.starts_with("#!") => (source, ""),
        _ => ("", source),
    };
    let before = BEFORE
        .replace("{REUSED}", &reused())
        .replace("{AT}", ran::RAISED_AT);
    let newline = if shebang.is_empty() || shebang.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    let text = format!("{shebang}{newline}{before}{body}{AFTER}");
    (leak(sha1(&text)), leak(text))
}

/// The `TOKENREUSED` error reply's text.
fn reused() -> String {
    format!(
        "{} evalsha: the token was used for another call (another script, keys or \
         arguments); nothing ran",
        ran::TOKEN_REUSED
    )
}

/// The name a function's tokened form is registered under: `_once` before the build's
/// suffix (`push_0123456789ab` → `push_once_0123456789ab`), or after the name.
fn once_name(loaded: &str, suffix_len: usize) -> String {
    let (name, suffix) = loaded.split_at(loaded.len() - suffix_len);
    format!("{name}_once{suffix}")
}

/// The code a tokened library puts at the start of its second line (no newline): the
/// same steps as [`BEFORE`] and [`AFTER`], around each function's callback, and
/// `__once_register`, which every `redis.register_function` of the library becomes: it
/// registers the callback wrapped under the name [`once_name`] gives. `{SUFFIX}` is the
/// length of the build's suffix of function names.
const FUNCTION_BEFORE: &str = "local __once_name = function(n) \
return n:sub(1, #n - {SUFFIX}) .. '_once' .. n:sub(#n - {SUFFIX} + 1) end; \
local __once_wrap = function(cb) return function(keys, args) \
local k, d, ttl = keys[#keys], args[#args - 1], args[#args]; \
keys[#keys] = nil; args[#args] = nil; args[#args] = nil; \
local raise = function(e, at) \
if at then if type(e) == 'table' and type(e.err) == 'string' then e = {err = e.err .. at} \
elseif type(e) == 'string' then e = e .. at end end; error(e, 0) end; \
local rec = redis.call('GET', k); \
if rec then local rd, ok, v, at = cmsgpack.unpack(rec); \
if rd ~= d then return redis.error_reply('{REUSED}') end; \
if ok then return v end; raise(v, at) end; \
local h = function(e) local _, w = pcall(error, '', 3); \
if w == '' then _, w = pcall(error, '', 4) end; \
local line = string.match(w, 'user_function:(%d+)'); \
return {e, line and ('{AT}' .. line .. ']')} end; \
local ok, v = xpcall(function() return cb(keys, args) end, h); \
local at; if not ok then at = v[2]; v = v[1] end; \
redis.call('SET', k, cmsgpack.pack(d, ok, v, at), 'PX', ttl); \
if ok then return v end; raise(v, at) end end; \
local __once_register = function(a, b) if a.function_name then \
return redis.register_function({function_name = __once_name(a.function_name), \
callback = __once_wrap(a.callback), flags = a.flags, description = a.description}) end; \
return redis.register_function(__once_name(a), __once_wrap(b)) end; ";

/// `library` rewritten for tokened calls: loaded as `<name>_once` (with the build's
/// suffix), its `redis.register_function` calls replaced by `__once_register` (see
/// [`FUNCTION_BEFORE`]), every line where it was.
fn wrap_library(library: &Library) -> Library {
    let suffix = library.suffix().unwrap_or("");
    let name = leak(format!("{}_once", library.name()));
    let loaded = leak(format!("{name}{suffix}"));
    let body = library.body();
    let (first, rest) = body.split_at(body.find('\n').map_or(body.len(), |end| end + 1));
    let first = first.replacen(
        &format!("name={}", library.loaded_name()),
        &format!("name={loaded}"),
        1,
    );
    let before = FUNCTION_BEFORE
        .replace("{SUFFIX}", &suffix.len().to_string())
        .replace("{REUSED}", &reused())
        .replace("{AT}", ran::RAISED_AT_FUNCTION);
    let rest = rest.replace("redis.register_function", "__once_register");
    let text = format!("{first}{before}{rest}");
    Library::__new(
        library.path(),
        name,
        loaded,
        leak(sha1(&text)),
        library.source(),
        leak(text),
        library.is_versioned(),
    )
}

/// The SHA1 of `text` in lowercase hex.
fn sha1(text: &str) -> String {
    sha1_smol::Sha1::from(text.as_bytes()).digest().to_string()
}

/// `text` for the life of the program: what a `Script` or `Library` holds. Called once
/// per script type or library (see `Script::tokened`, `Library::tokened`).
fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::Reload;

    static S: Script = Script::__new(
        "t.lua",
        "0123456789012345678901234567890123456789",
        "#!lua\nlocal x = 1\nreturn x",
        false,
        Reload::Load,
    );

    #[test]
    fn the_script_keeps_its_line_numbers() {
        let (sha1, text) = wrap_script(&S);
        assert_eq!(sha1.len(), 40);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "#!lua");
        assert!(
            lines[1].ends_with("xpcall(function() local x = 1"),
            "{}",
            lines[1]
        );
        assert_eq!(lines[2], "return x");
        assert_eq!(lines[3], "end, __once_h)");
    }

    #[test]
    fn record_keys_share_the_first_keys_slot() {
        let token = "t0";
        for first in [
            &b"{user:42}:cart"[..],
            b"plain",
            b"a}b",
            b"{}x",
            b"x{",
            b"{{y}",
            b"\xff{\xfe}",
        ] {
            let key = record_key(Some(first), token);
            assert_eq!(slot::slot(key.as_bytes()), slot::slot(first), "{key}");
            assert!(key.starts_with(PREFIX) && key.ends_with(":t0"), "{key}");
        }
        assert_eq!(record_key(Some(b"{u}:a"), "t"), "evalsha:once:{u}:t");
        assert_eq!(record_key(None, "t"), "evalsha:once:t");
    }

    #[test]
    fn function_names() {
        assert_eq!(once_name("push_0123456789ab", 13), "push_once_0123456789ab");
        assert_eq!(once_name("push", 0), "push_once");
    }

    #[test]
    fn tokens() {
        let a = Token::new();
        assert_eq!(a.as_str().len(), 32);
        assert_ne!(a, Token::new());
        assert_eq!(a.time_to_live(), Token::DEFAULT_TTL);
        let b = Token::from("order-42").ttl(Duration::from_micros(1500));
        assert_eq!(b.ttl_ms(), 2);
        assert_eq!(Token::from("x").ttl(Duration::ZERO).ttl_ms(), 1);
    }
}
