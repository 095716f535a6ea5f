//! The GGUF validator (header, metadata, tensor infos, chat template): `GGUF` then mutated bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    agora_scan_fuzz::check(&agora_scan_fuzz::gguf(data));
});
