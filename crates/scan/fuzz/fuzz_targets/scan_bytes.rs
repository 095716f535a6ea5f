//! Content identification and everything behind it, from raw bytes (protocol 0/1 pickles,
//! text and JSON have no magic): any input ends in a report, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    agora_scan_fuzz::check(data);
});
