//! The corpus as a whole: zero malicious files reported safe, zero benign files reported
//! unsafe (security research §2.1–2.3). Per-technique expectations live in `techniques.rs`.

use agora_scan::{Verdict, scan_bytes};
use std::path::{Path, PathBuf};

fn files(dir: &str) -> Vec<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&d)
        .expect("fixtures exist")
        .map(|e| e.expect("entry").path())
        .collect();
    v.sort();
    v
}

fn describe(p: &Path) -> String {
    let r = scan_bytes(&std::fs::read(p).expect("readable"));
    let mut s = format!(
        "{}: {} ({})",
        p.file_name().and_then(|n| n.to_str()).unwrap_or("?"),
        r.verdict.as_str(),
        r.format
    );
    for f in &r.findings {
        s.push_str(&format!(
            "\n    {} {} {}@{}: {}",
            f.verdict.as_str(),
            f.rule,
            f.path,
            f.offset,
            f.reason
        ));
    }
    s
}

#[test]
fn no_malicious_file_is_reported_safe() {
    let mut bad = Vec::new();
    for p in files("malicious") {
        let r = scan_bytes(&std::fs::read(&p).expect("readable"));
        if r.verdict == Verdict::Safe {
            bad.push(describe(&p));
        }
    }
    assert!(
        bad.is_empty(),
        "malicious files reported safe:\n{}",
        bad.join("\n")
    );
}

#[test]
fn no_benign_file_is_reported_unsafe() {
    let mut bad = Vec::new();
    for p in files("benign") {
        let r = scan_bytes(&std::fs::read(&p).expect("readable"));
        if r.verdict == Verdict::Unsafe {
            bad.push(describe(&p));
        }
    }
    assert!(
        bad.is_empty(),
        "benign files reported unsafe:\n{}",
        bad.join("\n")
    );
}

#[test]
#[ignore = "prints the whole corpus; run with --ignored --nocapture"]
fn print_corpus() {
    for d in ["benign", "malicious"] {
        for p in files(d) {
            println!("{}", describe(&p));
        }
    }
}
