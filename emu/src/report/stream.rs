//! A Perfetto trace file read one packet at a time: the file is a `Trace` message, a run
//! of length-delimited field-1 `TracePacket`s, so a packet is decoded as soon as its bytes
//! are read and the file is never held in memory whole.

use anyhow::{anyhow, bail, Result};
use devices::trace::proto::TracePacket;
use prost::Message;
use std::io::{self, BufRead, Read};

/// The key of `Trace.packet` (field 1, length-delimited).
const PACKET_KEY: u64 = (1 << 3) | 2;

/// The longest varint: 10 bytes of 7 bits.
const MAX_VARINT_BYTES: u32 = 10;

/// Reads the packets of a trace in file order.
#[derive(Debug)]
pub(crate) struct Packets<R> {
    input: R,
    /// Bytes consumed so far, for messages.
    offset: u64,
}

impl<R: BufRead> Packets<R> {
    /// Packets read from `input`.
    pub(crate) fn new(input: R) -> Packets<R> {
        Packets { input, offset: 0 }
    }

    /// The next packet and the byte it starts at; `None` at the end of the file.
    pub(crate) fn next_packet(&mut self) -> Result<Option<(u64, TracePacket)>> {
        let at = self.offset;
        let Some(key) = self.varint(true)? else {
            return Ok(None);
        };
        if key != PACKET_KEY {
            bail!(
                "not a Perfetto trace: field {} (wire type {}) at byte {at}",
                key >> 3,
                key & 7
            );
        }
        let len = self
            .varint(false)?
            .ok_or_else(|| anyhow!("truncated packet at byte {at}"))?;
        let mut bytes = Vec::new();
        (&mut self.input).take(len).read_to_end(&mut bytes)?;
        self.offset += bytes.len() as u64;
        if (bytes.len() as u64) < len {
            bail!(
                "truncated packet at byte {at}: {len} bytes announced, {} present",
                bytes.len()
            );
        }
        let packet = TracePacket::decode(bytes.as_slice())
            .map_err(|e| anyhow!("malformed packet at byte {at}: {e}"))?;
        Ok(Some((at, packet)))
    }

    /// A varint; `None` when the input ends before its first byte and `at_start` allows it.
    fn varint(&mut self, at_start: bool) -> Result<Option<u64>> {
        let at = self.offset;
        let mut value = 0u64;
        for i in 0..MAX_VARINT_BYTES {
            let mut byte = [0u8];
            match self.input.read_exact(&mut byte) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    if i == 0 && at_start {
                        return Ok(None);
                    }
                    bail!("truncated packet at byte {at}");
                }
                Err(e) => return Err(e.into()),
            }
            self.offset += 1;
            value |= u64::from(byte[0] & 0x7f) << (7 * i);
            if byte[0] & 0x80 == 0 {
                return Ok(Some(value));
            }
        }
        bail!("not a Perfetto trace: an over-long varint at byte {at}")
    }
}
