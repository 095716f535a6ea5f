//! The tar walker (legacy PyTorch `.tar`): `ustar` headers with correct checksums.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    agora_scan_fuzz::check(&agora_scan_fuzz::tar(data));
});
