//! The HDF5 (Keras `.h5`) `model_config` search: the HDF5 signature then mutated bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    agora_scan_fuzz::check(&agora_scan_fuzz::hdf5(data));
});
