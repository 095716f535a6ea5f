//! The ONNX protobuf walker (external data paths, operator domains).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    agora_scan_fuzz::check(&agora_scan_fuzz::onnx(data));
});
