//! Fuzz target; the harness lives in `records::harness::record_decoder` so the corpus replay test shares it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| records::harness::record_decoder(data));
