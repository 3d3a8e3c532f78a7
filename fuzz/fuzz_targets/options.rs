//! libFuzzer driver for [`fuzz_targets::options`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_targets::options::run(data));
