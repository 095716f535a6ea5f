//! One test per technique of security research §2.1–2.3: what the file is, what the scanner
//! must say about it, and which rule says so. Fixtures come from `tests/fixtures/generate.py`
//! (malicious samples verified to execute under their real loader with `--verify`).

use agora_scan::{Report, Verdict, scan_bytes};
use std::path::Path;

fn scan_fixture(dir: &str, name: &str) -> Report {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
        .join(name);
    scan_bytes(&std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
}

/// `file` must come out with `verdict`, and (when given) a finding with `rule`.
fn expect(dir: &str, file: &str, verdict: Verdict, rule: Option<&str>, format: &str) {
    let r = scan_fixture(dir, file);
    assert_eq!(r.verdict, verdict, "{file}: {r:#?}");
    if let Some(rule) = rule {
        assert!(r.has_rule(rule), "{file}: expected rule {rule}: {r:#?}");
    }
    assert_eq!(r.format, format, "{file}: format");
}

macro_rules! spec {
    ($($test:ident: $dir:literal / $file:literal => $verdict:ident $(by $rule:literal)? as $format:literal;)*) => {
        $(
            #[test]
            fn $test() {
                expect($dir, $file, Verdict::$verdict, None $(.or(Some($rule)))?, $format);
            }
        )*
    };
}

// A. Container and parser differentials (§2.2 #1–#16).
spec! {
    t01_broken_pickle_after_payload: "malicious" / "01_broken_after_payload.pkl" => Unsafe by "pickle.dangerous-global" as "pickle";
    t01_broken_pickle_is_itself_an_anomaly: "malicious" / "01_broken_after_payload.pkl" => Unsafe by "pickle.malformed" as "pickle";
    t02_gzip_wrapper: "malicious" / "02_gzip_wrapped.pkl.gz" => Unsafe by "pickle.dangerous-global" as "gzip";
    t02_bz2_wrapper: "malicious" / "02_bz2_wrapped.bz2" => Unsafe by "pickle.dangerous-global" as "bzip2";
    t02_xz_wrapper: "malicious" / "02_xz_wrapped.xz" => Unsafe by "pickle.dangerous-global" as "xz";
    t02_zlib_wrapper: "malicious" / "02_zlib_wrapped.z" => Unsafe by "pickle.dangerous-global" as "zlib";
    t03_raw_pickle_with_pytorch_name: "malicious" / "03_raw_pickle_pytorch_model.bin" => Unsafe by "pickle.dangerous-global" as "pickle";
    t04_raw_pickle_with_other_name: "malicious" / "04_raw_pickle_model.weights" => Unsafe by "pickle.dangerous-global" as "pickle";
    t04_protocol0_pickle_without_magic: "malicious" / "04_raw_pickle_proto0_no_ext" => Unsafe by "pickle.dangerous-global" as "pickle";
    t05_torch_zip_with_bad_crc: "malicious" / "05_torch_bad_crc.pt" => Unsafe by "pickle.dangerous-global" as "torch-zip";
    t06_local_and_central_names_differ: "malicious" / "06_torch_name_mismatch.pt" => Unsafe by "zip.name-mismatch" as "zip";
    t07_encrypted_member_is_not_safe: "malicious" / "07_torch_encrypted_flag.pt" => Unknown by "zip.encrypted" as "torch-zip";
    t08_duplicate_member_names: "malicious" / "08_torch_duplicate_data_pkl.pt" => Unsafe by "zip.duplicate-name" as "torch-zip";
    t08_first_duplicate_is_scanned_too: "malicious" / "08_torch_duplicate_data_pkl.pt" => Unsafe by "pickle.dangerous-global" as "torch-zip";
    t09_pickle_zip_polyglot: "malicious" / "09_pickle_zip_polyglot.pkl" => Unsafe by "container.polyglot" as "pickle";
    t09_data_before_first_zip_header: "malicious" / "09_zip_with_prefix_data.zip" => Unsafe by "container.polyglot" as "data";
    t10_legacy_tar_checkpoint: "malicious" / "10_legacy_tar.pt" => Unsafe by "pickle.dangerous-global" as "torch-legacy-tar";
    t11_legacy_stacked_payload_in_fourth_pickle: "malicious" / "11_legacy_stacked_payload_in_4th.pt" => Unsafe by "pickle.dangerous-global" as "torch-legacy";
    t11_legacy_stacked_payload_in_fifth_pickle: "malicious" / "11_legacy_stacked_payload_in_keys.pt" => Unsafe by "pickle.dangerous-global" as "torch-legacy";
    t12_legacy_magic_computed_by_eval: "malicious" / "12_legacy_magic_by_eval.pt" => Unsafe by "pickle.dangerous-global" as "pickle";
    t13_frame_length_divergence: "malicious" / "13_frame_divergence.pkl" => Unsafe by "pickle.frame" as "pickle";
    t13_frame_length_divergence_in_torch_zip: "malicious" / "13_frame_divergence_in_torch_zip.pt" => Unsafe by "pickle.frame" as "torch-zip";
    t14_joblib_payload_after_inline_array: "malicious" / "14_joblib_payload_after_array.joblib" => Unsafe by "pickle.dangerous-global" as "pickle";
    t14b_joblib_array_bytes_hide_opcodes_for_plain_pickle: "malicious" / "14b_joblib_array_bytes_are_opcodes.joblib" => Unsafe by "joblib.differential" as "pickle";
    t15_joblib_zlib: "malicious" / "15_joblib_zlib.joblib" => Unsafe by "pickle.dangerous-global" as "zlib";
    t15_joblib_gzip: "malicious" / "15_joblib_gzip.joblib" => Unsafe by "pickle.dangerous-global" as "gzip";
    t15_joblib_bz2: "malicious" / "15_joblib_bz2.joblib" => Unsafe by "pickle.dangerous-global" as "bzip2";
    t15_joblib_lzma: "malicious" / "15_joblib_lzma.joblib" => Unsafe by "pickle.dangerous-global" as "lzma";
    t15_joblib_xz: "malicious" / "15_joblib_xz.joblib" => Unsafe by "pickle.dangerous-global" as "xz";
    t16_npz_member_without_npy_suffix: "malicious" / "16_npz_member_without_npy_suffix.npz" => Unsafe by "pickle.dangerous-global" as "zip";
    t16b_object_npy: "malicious" / "16b_object_npy.npy" => Unsafe by "pickle.dangerous-global" as "numpy";
}

// B. Denylist gaps: the allowlist and the dangerous list (§2.2 #17–#30).
spec! {
    t17_dotted_stack_global: "malicious" / "17_stack_global_dotted.pkl" => Unsafe by "pickle.dangerous-global" as "pickle";
    t18_submodule_of_denied_package: "malicious" / "18_submodule_of_denied_pkg.pkl" => Unsafe by "pickle.dangerous-global" as "pickle";
    t19_importlib_and_inspect: "malicious" / "19_importlib_inspect.pkl" => Unsafe by "pickle.computed-call" as "pickle";
    t20_marshal_and_function_type: "malicious" / "20_marshal_functiontype.pkl" => Unsafe by "pickle.dangerous-global" as "pickle";
    t21_method_of_denied_class_sibling: "malicious" / "21_code_interactive_runsource.pkl" => Unsafe by "pickle.dangerous-global" as "pickle";
    t22_nested_pickle_via_load_from_bytes: "malicious" / "22_nested_load_from_bytes.pkl" => Unsafe by "pickle.dangerous-global" as "pickle";
    t22_nested_pickle_via_dill: "malicious" / "22_nested_dill_loads.pkl" => Unsafe by "pickle.dangerous-global" as "pickle";
    t23_torch_package_source_module: "malicious" / "23_torch_package.pt" => Unsafe by "torch-package.code" as "torch-package";
    t24_pip_main: "malicious" / "24_pip_main.pkl" => Unsafe by "pickle.dangerous-global" as "pickle";
    t24_timeit: "malicious" / "24_timeit.pkl" => Unsafe by "pickle.dangerous-global" as "pickle";
    t24_uuid_command: "malicious" / "24_uuid_get_command_stdout.pkl" => Unsafe by "pickle.dangerous-global" as "pickle";
    t24_partial_of_dangerous_function: "malicious" / "24_functools_partial_os.pkl" => Unsafe by "pickle.computed-call" as "pickle";
    t24_pkgutil_resolve_name: "malicious" / "24_pkgutil_resolve_name.pkl" => Unsafe by "pickle.dangerous-global" as "pickle";
    t25_stack_global_from_protocol0_strings: "malicious" / "25_stack_global_string_opcodes.pkl" => Unsafe by "pickle.dangerous-global" as "pickle";
    t25_get_of_missing_memo_key: "malicious" / "25_binget_missing_memo.pkl" => Unsafe by "pickle.malformed" as "pickle";
    t26_build_on_a_module: "malicious" / "26_build_on_module.pkl" => Unsafe by "pickle.build-on-global" as "pickle";
    t27_call_whose_result_is_popped: "malicious" / "27_obj_pop_call.pkl" => Unsafe by "pickle.dangerous-global" as "pickle";
    t28_extension_codes: "malicious" / "28_ext1.pkl" => Unsafe by "pickle.ext-code" as "pickle";
    t30_sleepy_pickle_exec: "malicious" / "30_sleepy_exec.pkl" => Unsafe by "pickle.dangerous-global" as "pickle";
    t30_getattr_on_module: "malicious" / "30_getattr_module.pkl" => Unsafe by "pickle.dangerous-global" as "pickle";
    t31_keras_lambda_layer: "malicious" / "31_keras_lambda.keras" => Unsafe by "keras.lambda" as "keras";
    t31_keras_function_config: "malicious" / "31_keras_function_config.keras" => Unsafe by "keras.function" as "keras";
    t31_keras_h5_lambda: "malicious" / "31_keras_lambda.h5" => Unsafe by "keras.lambda" as "hdf5";
}

// Non-pickle formats (§3).
spec! {
    gguf_chat_template_sandbox_escape: "malicious" / "gguf_ssti_template.gguf" => Unsafe by "jinja.sandbox-escape" as "gguf";
    gguf_duplicate_key: "malicious" / "gguf_duplicate_key.gguf" => Unsafe by "gguf.invalid" as "gguf";
    tokenizer_config_chat_template_escape: "malicious" / "tokenizer_config_ssti.json" => Unsafe by "jinja.sandbox-escape" as "json";
    onnx_external_data_escape: "malicious" / "onnx_external_data_escape.onnx" => Unsafe by "onnx.external-data-escape" as "onnx";
    onnx_custom_domain: "malicious" / "onnx_custom_domain.onnx" => Unknown by "onnx.custom-domain" as "onnx";
    safetensors_duplicate_key: "malicious" / "st_duplicate_key.safetensors" => Unsafe by "safetensors.duplicate-key" as "safetensors";
    safetensors_hole: "malicious" / "st_hole.safetensors" => Unsafe by "safetensors.header" as "safetensors";
    safetensors_overlap: "malicious" / "st_overlap.safetensors" => Unsafe by "safetensors.header" as "safetensors";
    safetensors_trailing_bytes: "malicious" / "st_trailing.safetensors" => Unsafe by "safetensors.coverage" as "safetensors";
    safetensors_nul_in_name: "malicious" / "st_nul_name.safetensors" => Unsafe by "safetensors.name" as "safetensors";
    safetensors_unknown_dtype: "malicious" / "st_bad_dtype.safetensors" => Unsafe by "safetensors.header" as "safetensors";
    zip_slip_member: "malicious" / "zip_slip.zip" => Unsafe by "archive.path" as "zip";
    zip_with_data_descriptors_is_walked: "malicious" / "streamed_deflate_payload.zip" => Unsafe by "pickle.dangerous-global" as "zip";
    zip_stored_with_data_descriptor_is_not_safe: "malicious" / "streamed_stored_payload.zip" => Unknown by "zip.unsupported" as "zip";
}

// §2.3: benign files saved by the real libraries come out safe (or unknown, never unsafe).
spec! {
    benign_stdlib_protocol_0: "benign" / "stdlib_proto0.pkl" => Safe as "pickle";
    benign_stdlib_protocol_1: "benign" / "stdlib_proto1.pkl" => Safe as "pickle";
    benign_stdlib_protocol_2: "benign" / "stdlib_proto2.pkl" => Safe as "pickle";
    benign_stdlib_protocol_3: "benign" / "stdlib_proto3.pkl" => Safe as "pickle";
    benign_stdlib_protocol_4: "benign" / "stdlib_proto4.pkl" => Safe as "pickle";
    benign_stdlib_protocol_5: "benign" / "stdlib_proto5.pkl" => Safe as "pickle";
    benign_sklearn_pipeline: "benign" / "sklearn_pipeline.pkl" => Safe as "pickle";
    benign_sklearn_tree_protocol2: "benign" / "sklearn_tree_proto2.pkl" => Safe as "pickle";
    benign_sklearn_joblib_interleaved_arrays: "benign" / "sklearn_tree.joblib" => Safe as "pickle";
    benign_sklearn_joblib_zlib: "benign" / "sklearn_tree_zlib.joblib" => Safe as "zlib";
    benign_sklearn_joblib_gzip: "benign" / "sklearn_tree_gzip.joblib" => Safe as "gzip";
    benign_sklearn_joblib_bz2: "benign" / "sklearn_tree_bz2.joblib" => Safe as "bzip2";
    benign_sklearn_joblib_lzma: "benign" / "sklearn_tree_lzma.joblib" => Safe as "lzma";
    benign_sklearn_joblib_xz: "benign" / "sklearn_tree_xz.joblib" => Safe as "xz";
    benign_joblib_every_dtype_kind: "benign" / "dtypes.joblib" => Safe as "pickle";
    benign_joblib_object_array_inline: "benign" / "arrays.joblib" => Safe as "pickle";
    benign_partial_itemgetter_bound_method: "benign" / "partial_itemgetter.pkl" => Safe as "pickle";
    benign_numpy_plain: "benign" / "plain.npy" => Safe as "numpy";
    benign_numpy_structured: "benign" / "structured.npy" => Safe as "numpy";
    benign_numpy_object_array: "benign" / "object.npy" => Safe as "numpy";
    benign_npz: "benign" / "arrays.npz" => Safe as "npz";
    benign_npz_compressed: "benign" / "arrays_compressed.npz" => Safe as "npz";
    benign_torch_state_dict: "benign" / "torch_state_dict.pt" => Safe as "torch-zip";
    benign_torch_full_module_training_checkpoint: "benign" / "torch_training_checkpoint.pt" => Safe as "torch-zip";
    benign_torch_many_tensors: "benign" / "torch_300_tensors.pt" => Safe as "torch-zip";
    benign_torch_legacy_stacked: "benign" / "torch_legacy.pt" => Safe as "torch-legacy";
    benign_torch_legacy_tar: "benign" / "torch_legacy.tar" => Safe as "torch-legacy-tar";
    benign_nested_load_from_bytes_is_followed: "benign" / "load_from_bytes_benign.pkl" => Safe as "pickle";
    benign_safetensors: "benign" / "model.safetensors" => Safe as "safetensors";
    benign_gguf_with_chat_template: "benign" / "model.gguf" => Safe as "gguf";
    benign_onnx: "benign" / "model.onnx" => Safe as "onnx";
    benign_onnx_external_data_inside_repo: "benign" / "external_data.onnx" => Safe as "onnx";
    benign_keras: "benign" / "keras_dense.keras" => Safe as "keras";
    benign_keras_h5: "benign" / "keras_dense.h5" => Safe as "hdf5";
    benign_tokenizer_config: "benign" / "tokenizer_config.json" => Safe as "json";
    benign_readme: "benign" / "README.md" => Safe as "text";
    benign_empty_file: "benign" / "empty.bin" => Safe as "empty";
    benign_gzip_pickle: "benign" / "gzip_pickle.pkl.gz" => Safe as "gzip";
    benign_zip_with_data_descriptors: "benign" / "streamed_deflate.zip" => Safe as "zip";
}

// The pickle machine itself.

fn pickle(bytes: &[u8]) -> Report {
    scan_bytes(bytes)
}

#[test]
fn user_classes_are_unknown_not_unsafe() {
    let r = pickle(b"\x80\x02c__main__\nCfg\n)\x81}X\x01\x00\x00\x00aK\x01sb.");
    assert_eq!(r.verdict, Verdict::Unknown, "{r:#?}");
    assert!(r.has_rule("pickle.unlisted-global"));
}

#[test]
fn pop_removes_an_empty_mark_like_cpython() {
    // MARK POP: CPython's POP discards the mark when nothing sits above it.
    assert_eq!(pickle(b"\x80\x02N(0.").verdict, Verdict::Safe);
}

#[test]
fn stack_underflow_below_a_mark_is_malformed() {
    // MARK fences the stack: TUPLE1 cannot reach the None below it (CPython: stack underflow).
    let r = pickle(b"\x80\x02N(\x85.");
    assert!(r.has_rule("pickle.malformed"), "{r:#?}");
}

#[test]
fn every_stacked_pickle_is_scanned() {
    let mut b = b"\x80\x02K\x01.".to_vec();
    b.extend_from_slice(b"\x80\x02cos\nsystem\n)R.");
    let r = pickle(&b);
    assert!(r.has_rule("pickle.dangerous-global"), "{r:#?}");
}

#[test]
fn trailing_garbage_after_a_pickle_is_ambiguous() {
    let r = pickle(b"\x80\x02K\x01.\xff\xfe");
    assert!(r.has_rule("container.trailing-bytes"), "{r:#?}");
}

#[test]
fn allowlisted_class_used_as_a_callable_it_is_not_allowed_for_is_unknown() {
    // torch.float16 is a value (dtype), never a callable.
    let r = pickle(b"\x80\x02ctorch\nfloat16\n)R.");
    assert_eq!(r.verdict, Verdict::Unknown, "{r:#?}");
    assert!(r.has_rule("pickle.disallowed-use"));
}

#[test]
fn truncation_inside_a_large_bytes_literal_is_unsafe() {
    let mut b = b"\x80\x04\x8e".to_vec();
    b.extend_from_slice(&(1u64 << 62).to_le_bytes());
    b.extend_from_slice(&[0u8; 100]);
    let r = pickle(&b);
    assert!(r.has_rule("pickle.truncated"), "{r:#?}");
}

#[test]
fn mark_depth_is_bounded() {
    let mut b = b"\x80\x02".to_vec();
    b.extend(std::iter::repeat_n(b'(', 200_000));
    let r = pickle(&b);
    assert!(r.has_rule("pickle.limit"), "{r:#?}");
}

#[test]
fn imports_are_listed_with_their_safety() {
    let r = scan_fixture("malicious", "17_stack_global_dotted.pkl");
    assert!(
        r.imports
            .iter()
            .any(|i| i.module == "pathlib" && i.name == "os.getloadavg")
    );
    let r = scan_fixture("benign", "torch_state_dict.pt");
    assert!(
        r.imports.iter().any(|i| i.name == "_rebuild_tensor_v2"),
        "{:#?}",
        r.imports
    );
}

#[test]
fn every_report_records_the_ruleset_version() {
    let r = pickle(b"N.");
    assert_eq!(r.ruleset_version, agora_scan::RULESET_VERSION);
    let json = serde_json::to_value(&r).expect("serialisable");
    assert_eq!(json["ruleset_version"], agora_scan::RULESET_VERSION);
    assert_eq!(json["verdict"], "safe");
}
