//! `agora assess` and `agora bom` on a local checkout.

mod common;

use agora_openness::BomFormat;
use agora_openness::cli;
use common::*;

fn checkout() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tempdir");
    let p = d.path();
    std::fs::write(
        p.join("README.md"),
        "---\nlicense: mit\nlanguage: [no]\n---\n# Tiny\n",
    )
    .expect("w");
    std::fs::write(p.join("LICENSE"), MIT_TEXT).expect("w");
    std::fs::write(p.join("config.json"), r#"{"model_type":"gpt2"}"#).expect("w");
    // A Git LFS pointer, as in a checkout without LFS.
    let oid = "a".repeat(64);
    std::fs::write(
        p.join("model.safetensors"),
        format!("version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize 123456789\n"),
    )
    .expect("w");
    std::fs::create_dir(p.join(".git")).expect("git");
    std::fs::write(p.join(".git/HEAD"), "ref: refs/heads/main\n").expect("w");
    d
}

#[test]
fn assess_json_writes_a_report_and_exits_zero() {
    let d = checkout();
    let mut out = Vec::new();
    assert_eq!(cli::assess(d.path(), true, &mut out), 0);
    let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(v["schema"], "agora-openness/1");
    assert_eq!(v["grades"]["bucket"]["bucket"], "open_weights");
    assert_eq!(v["licence"]["effective"]["key"], "MIT");
    assert_eq!(v["card"]["language"][0], "no");
    let paths: Vec<&str> = v["evidence"]
        .as_array()
        .expect("e")
        .iter()
        .filter_map(|f| f["source"]["path"].as_str())
        .collect();
    assert!(!paths.iter().any(|p| p.starts_with(".git")));
}

#[test]
fn assess_text_is_readable() {
    let d = checkout();
    let mut out = Vec::new();
    assert_eq!(cli::assess(d.path(), false, &mut out), 0);
    let s = String::from_utf8(out).expect("utf8");
    assert!(s.contains("bucket:   open weights"), "{s}");
    assert!(s.contains("OSAID 1.0: fail"));
    assert!(s.contains("MOF:"));
}

#[test]
fn missing_directory_is_exit_code_3() {
    let mut out = Vec::new();
    assert_eq!(
        cli::assess(
            std::path::Path::new("/nonexistent/agora/test"),
            false,
            &mut out
        ),
        3
    );
    assert!(out.is_empty());
    let f = tempfile::NamedTempFile::new().expect("f");
    assert_eq!(cli::bom(f.path(), BomFormat::Spdx, &mut out), 3);
}

#[test]
fn bom_writes_both_formats_with_lfs_hashes() {
    let d = checkout();
    let mut out = Vec::new();
    assert_eq!(cli::bom(d.path(), BomFormat::CycloneDx, &mut out), 0);
    let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(v["components"][0]["hashes"][0]["content"], "a".repeat(64));
    let mut out = Vec::new();
    assert_eq!(
        cli::bom(d.path(), "spdx".parse().expect("format"), &mut out),
        0
    );
    let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
    assert!(v["@graph"].is_array());
    assert!("xml".parse::<BomFormat>().is_err());
}
