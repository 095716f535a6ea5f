//! The decompression wrappers (gzip, bzip2, xz, lzma, zlib): a codec magic then mutated bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    agora_scan_fuzz::check(&agora_scan_fuzz::compressed(data));
});
