//! `agora scan PATH... [--json]`: the exit-code contract of PRODUCT.md.

use std::path::{Path, PathBuf};

fn fixture(dir: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
        .join(name)
}

fn run(paths: &[PathBuf], json: bool) -> (u8, String) {
    let mut out = Vec::new();
    let code = agora_scan::cli::run(paths, json, &mut out);
    (code, String::from_utf8(out).expect("utf-8 output"))
}

#[test]
fn exit_0_when_every_file_is_safe() {
    let (code, out) = run(
        &[
            fixture("benign", "torch_state_dict.pt"),
            fixture("benign", "model.safetensors"),
        ],
        false,
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("torch_state_dict.pt: safe (torch-zip"));
}

#[test]
fn exit_1_when_any_file_is_unsafe() {
    let (code, out) = run(
        &[
            fixture("benign", "plain.npy"),
            fixture("malicious", "08_torch_duplicate_data_pkl.pt"),
        ],
        false,
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("zip.duplicate-name"));
}

#[test]
fn exit_2_when_any_file_is_unknown_and_none_unsafe() {
    let (code, _) = run(
        &[
            fixture("benign", "plain.npy"),
            fixture("malicious", "onnx_custom_domain.onnx"),
        ],
        false,
    );
    assert_eq!(code, 2);
}

#[test]
fn exit_3_on_io_or_usage_errors() {
    assert_eq!(run(&[], false).0, 3);
    assert_eq!(run(&[fixture("benign", "does-not-exist")], false).0, 3);
}

#[test]
fn directories_are_walked_recursively() {
    let (code, out) = run(&[fixture("benign", "")], false);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("sklearn_pipeline.pkl: safe"));
    let (code, _) = run(&[fixture("malicious", "")], false);
    assert_eq!(code, 1);
}

#[cfg(unix)]
#[test]
fn symbolic_links_are_not_followed() {
    let dir = std::env::temp_dir().join(format!("agora-scan-link-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let link = dir.join("model.bin");
    std::os::unix::fs::symlink("/etc/passwd", &link).expect("symlink");
    let (code, out) = run(std::slice::from_ref(&dir), false);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("file.symlink"));
}

#[test]
fn json_output_lists_every_file_with_its_report() {
    let (code, out) = run(
        &[
            fixture("malicious", "17_stack_global_dotted.pkl"),
            fixture("benign", "nope"),
        ],
        true,
    );
    assert_eq!(code, 3);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["ruleset_version"], agora_scan::RULESET_VERSION);
    let files = v["files"].as_array().expect("files");
    assert_eq!(files[0]["verdict"], "unsafe");
    assert_eq!(files[0]["findings"][0]["rule"], "pickle.dangerous-global");
    assert!(files[0]["findings"][0]["offset"].is_u64());
    assert!(files[1]["error"].is_string());
}
