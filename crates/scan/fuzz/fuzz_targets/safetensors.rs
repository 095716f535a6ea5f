//! The safetensors validator: an 8-byte header length, a JSON header, then data.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    agora_scan_fuzz::check(&agora_scan_fuzz::safetensors(data));
});
