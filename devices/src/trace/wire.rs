//! Protobuf wire encoding of the one packet a trace holds millions of: a track event.
//! Everything else goes through prost; this path writes straight into reused buffers
//! with its own varint writer (one byte for most values), without building message
//! structs, allocating or measuring each message twice.

use crate::cast::low_u8;

/// The wire types this encoder writes.
#[derive(Clone, Copy)]
enum WireType {
    Varint = 0,
    SixtyFourBit = 1,
    LengthDelimited = 2,
}

/// Appends `v` as a base-128 varint. Most values here (keys, ids, small counts) take one
/// byte, which the first test settles.
#[inline]
fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push(low_u8(v) | 0x80);
        v >>= 7;
    }
    buf.push(low_u8(v));
}

/// Appends the key of field `tag` of wire type `wire`.
#[inline]
fn put_key(buf: &mut Vec<u8>, tag: u32, wire: WireType) {
    put_varint(buf, u64::from(tag) << 3 | wire as u64);
}

/// Writes field `tag` as a varint.
#[inline]
pub(crate) fn varint(buf: &mut Vec<u8>, tag: u32, v: u64) {
    put_key(buf, tag, WireType::Varint);
    put_varint(buf, v);
}

/// Writes field `tag` as a fixed 64-bit value.
#[inline]
pub(crate) fn fixed64(buf: &mut Vec<u8>, tag: u32, v: u64) {
    put_key(buf, tag, WireType::SixtyFourBit);
    buf.extend_from_slice(&v.to_le_bytes());
}

/// Writes field `tag` as length-delimited `bytes`.
#[inline]
pub(crate) fn bytes(buf: &mut Vec<u8>, tag: u32, bytes: &[u8]) {
    put_key(buf, tag, WireType::LengthDelimited);
    put_varint(buf, bytes.len() as u64);
    buf.extend_from_slice(bytes);
}

/// `TrackEvent` field numbers.
pub(crate) mod track_event {
    /// `category_iids`.
    pub(crate) const CATEGORY_IIDS: u32 = 3;
    /// `debug_annotations`.
    pub(crate) const DEBUG_ANNOTATIONS: u32 = 4;
    /// `type`.
    pub(crate) const TYPE: u32 = 9;
    /// `name_iid`.
    pub(crate) const NAME_IID: u32 = 10;
    /// `track_uuid`.
    pub(crate) const TRACK_UUID: u32 = 11;
    /// `flow_ids`.
    pub(crate) const FLOW_IDS: u32 = 47;
    /// `terminating_flow_ids`.
    pub(crate) const TERMINATING_FLOW_IDS: u32 = 48;
}

/// `DebugAnnotation` field numbers.
pub(crate) mod debug_annotation {
    /// `name_iid`.
    pub(crate) const NAME_IID: u32 = 1;
    /// `bool_value`.
    pub(crate) const BOOL_VALUE: u32 = 2;
    /// `uint_value`.
    pub(crate) const UINT_VALUE: u32 = 3;
    /// `int_value`.
    pub(crate) const INT_VALUE: u32 = 4;
    /// `string_value`.
    pub(crate) const STRING_VALUE: u32 = 6;
    /// `pointer_value`.
    pub(crate) const POINTER_VALUE: u32 = 7;
    /// `string_value_iid`.
    pub(crate) const STRING_VALUE_IID: u32 = 17;
}

/// `TracePacket` field numbers.
pub(crate) mod trace_packet {
    /// `timestamp`.
    pub(crate) const TIMESTAMP: u32 = 8;
    /// `trusted_packet_sequence_id`.
    pub(crate) const TRUSTED_PACKET_SEQUENCE_ID: u32 = 10;
    /// `track_event`.
    pub(crate) const TRACK_EVENT: u32 = 11;
    /// `interned_data`.
    pub(crate) const INTERNED_DATA: u32 = 12;
    /// `sequence_flags`.
    pub(crate) const SEQUENCE_FLAGS: u32 = 13;
    /// `trace_packet_defaults`.
    pub(crate) const TRACE_PACKET_DEFAULTS: u32 = 59;
    /// `first_packet_on_sequence`.
    pub(crate) const FIRST_PACKET_ON_SEQUENCE: u32 = 87;
}
