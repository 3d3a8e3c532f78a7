//! Tests of the core on a flat test memory.

mod asm;
mod atomics;
mod bench;
mod compressed_table;
mod decode_table;
mod decoding;
mod flat;
mod float_insns;
mod icache;
mod integer;
mod pacing;
