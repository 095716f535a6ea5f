//! The Keras config checker: a well-formed `.keras` zip whose `config.json` is the input.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    agora_scan_fuzz::check(&agora_scan_fuzz::keras(data));
});
