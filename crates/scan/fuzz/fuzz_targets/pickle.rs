//! The pickle emulator: binary pickles of protocols 0–5 (`\x80 <proto>` then mutated opcodes).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    agora_scan_fuzz::check(&agora_scan_fuzz::pickle(data));
});
