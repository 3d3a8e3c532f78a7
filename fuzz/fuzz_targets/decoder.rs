//! libFuzzer driver for [`fuzz_targets::decoder`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_targets::decoder::run(data));
