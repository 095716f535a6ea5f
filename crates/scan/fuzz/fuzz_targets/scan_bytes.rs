//! Every parser behind content identification: any input ends in a report, never a panic.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = agora_scan::scan_bytes(data);
    // With a magic prefix, so each parser gets mutated bodies.
    for magic in [&b"\x80\x04"[..], b"PK\x03\x04", b"\x93NUMPY\x01\x00", b"GGUF\x03\x00\x00\x00", b"\x1f\x8b"] {
        let mut v = magic.to_vec();
        v.extend_from_slice(data);
        let _ = agora_scan::scan_bytes(&v);
    }
});
