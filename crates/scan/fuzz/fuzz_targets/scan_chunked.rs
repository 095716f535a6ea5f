//! Streaming: the report does not depend on how the input is chunked.
#![no_main]
libfuzzer_sys::fuzz_target!(|input: (u16, Vec<u8>)| {
    let (step, data) = input;
    let whole = agora_scan::scan_bytes(&data);
    let mut s = agora_scan::Scanner::new();
    for c in data.chunks(usize::from(step).max(1)) {
        s.update(c);
    }
    assert_eq!(s.finish(), whole);
});
