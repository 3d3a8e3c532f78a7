//! libFuzzer driver for [`fuzz_targets::guest_paths`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_targets::guest_paths::run(data));
