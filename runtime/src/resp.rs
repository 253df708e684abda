//! RESP encoding of commands straight into one byte buffer, so a call is packed once and
//! sent as is by sync connections (no `redis::Cmd`, no per-argument `Vec`).

use std::io;

use redis::RedisWrite;

/// Appends `$<len>\r\n<bytes>\r\n`.
pub(crate) fn push_bulk(buf: &mut Vec<u8>, bytes: &[u8]) {
    push_len(buf, b'$', bytes.len());
    buf.extend_from_slice(bytes);
    buf.extend_from_slice(b"\r\n");
}

/// Appends `<prefix><n>\r\n`, the header of an array or a bulk string.
pub(crate) fn push_len(buf: &mut Vec<u8>, prefix: u8, n: usize) {
    buf.push(prefix);
    buf.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    buf.extend_from_slice(b"\r\n");
}

/// A fixed-size buffer on the stack for short RESP fragments (a command head).
pub(crate) struct StackBuf<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> StackBuf<N> {
    pub(crate) fn new() -> Self {
        Self {
            bytes: [0; N],
            len: 0,
        }
    }

    /// Appends `bytes`; panics when they do not fit, which the callers rule out.
    fn extend(&mut self, bytes: &[u8]) {
        self.bytes[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    /// Appends `<prefix><n>\r\n`.
    pub(crate) fn push_len(&mut self, prefix: u8, n: usize) {
        self.extend(&[prefix]);
        self.extend(itoa::Buffer::new().format(n).as_bytes());
        self.extend(b"\r\n");
    }

    /// Appends `$<len>\r\n<bytes>\r\n`.
    pub(crate) fn push_bulk(&mut self, bytes: &[u8]) {
        self.push_len(b'$', bytes.len());
        self.extend(bytes);
        self.extend(b"\r\n");
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Appends a whole command of bulk strings.
pub(crate) fn push_command(buf: &mut Vec<u8>, parts: &[&[u8]]) {
    push_len(buf, b'*', parts.len());
    for part in parts {
        push_bulk(buf, part);
    }
}

/// A whole command of bulk strings as a `redis::Cmd`, for connections that take commands.
pub(crate) fn to_cmd(parts: &[&[u8]]) -> redis::Cmd {
    let mut cmd = redis::Cmd::new();
    for part in parts {
        cmd.arg(*part);
    }
    cmd
}

/// Iterates the bulk strings of a buffer written with [`push_bulk`].
pub(crate) fn bulks(mut rest: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        let body = rest.strip_prefix(b"$")?;
        let eol = body.iter().position(|&b| b == b'\r')?;
        let len: usize = std::str::from_utf8(&body[..eol]).ok()?.parse().ok()?;
        let start = eol + 2;
        let arg = &body[start..start + len];
        rest = &body[start + len + 2..];
        Some(arg)
    })
}

/// A [`RedisWrite`] that RESP-encodes every argument it is given into a buffer and counts
/// them, so callers can check how many Redis arguments a value produced.
pub(crate) struct BulkWriter<'a> {
    pub(crate) buf: &'a mut Vec<u8>,
    pub(crate) count: usize,
}

impl RedisWrite for BulkWriter<'_> {
    fn write_arg(&mut self, arg: &[u8]) {
        push_bulk(self.buf, arg);
        self.count += 1;
    }

    fn writer_for_next_arg(&mut self) -> impl io::Write + '_ {
        // The length prefix is only known once the value is written: write the bytes,
        // then insert the prefix in front of them.
        struct Guard<'g, 'b> {
            writer: &'g mut BulkWriter<'b>,
            start: usize,
        }
        impl io::Write for Guard<'_, '_> {
            fn write(&mut self, data: &[u8]) -> io::Result<usize> {
                self.writer.buf.extend_from_slice(data);
                Ok(data.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        impl Drop for Guard<'_, '_> {
            fn drop(&mut self) {
                let len = self.writer.buf.len() - self.start;
                let mut prefix = StackBuf::<24>::new();
                prefix.push_len(b'$', len);
                self.writer
                    .buf
                    .splice(self.start..self.start, prefix.as_bytes().iter().copied());
                self.writer.buf.extend_from_slice(b"\r\n");
                self.writer.count += 1;
            }
        }
        let start = self.buf.len();
        Guard {
            writer: self,
            start,
        }
    }

    fn reserve_space_for_args(&mut self, additional: impl IntoIterator<Item = usize>) {
        let bytes: usize = additional.into_iter().map(|n| n + 16).sum();
        self.buf.reserve(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn writes_and_reads_back_bulks() {
        let mut buf = Vec::new();
        let mut w = BulkWriter {
            buf: &mut buf,
            count: 0,
        };
        w.write_arg(b"abc");
        write!(w.writer_for_next_arg(), "{}", 12345).unwrap();
        w.write_arg(b"");
        assert_eq!(w.count, 3);
        assert_eq!(buf, b"$3\r\nabc\r\n$5\r\n12345\r\n$0\r\n\r\n");
        let back: Vec<&[u8]> = bulks(&buf).collect();
        assert_eq!(back, vec![&b"abc"[..], b"12345", b""]);
    }
}
