//! The NumPy `.npy` header parser and object-array handling: `\x93NUMPY` then mutated bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    agora_scan_fuzz::check(&agora_scan_fuzz::npy(data));
});
