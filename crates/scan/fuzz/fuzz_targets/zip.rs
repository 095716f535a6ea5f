//! The zip walker (PyTorch checkpoints, TorchScript, torch.package, `.npz`, `.keras`): a local header signature then mutated bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    agora_scan_fuzz::check(&agora_scan_fuzz::zip(data));
});
