//! Derivatives checked against the terms of their bases.

mod common;

use agora_openness::grade::{Bucket, Severity};
use agora_openness::{BaseReport, check_derivative};
use common::*;

fn llama3_base() -> agora_openness::Report {
    hf_model_files(Repo::model("meta-llama/Meta-Llama-3-8B"))
        .card("license: llama3\ngated: manual", "# Llama 3\n")
        .text("LICENSE", LLAMA3_TEXT)
        .assess()
}

fn codes(c: &agora_openness::LineageCheck) -> Vec<&'static str> {
    c.findings.iter().map(|f| f.code).collect()
}

#[test]
fn llama_fine_tune_declared_apache_is_flagged_as_relicensed() {
    let base = llama3_base();
    let child = hf_model_files(Repo::model("someone/my-chat-model"))
        .card("license: apache-2.0\nbase_model: meta-llama/Meta-Llama-3-8B\nbase_model_relation: finetune", "# My chat model\n")
        .assess();
    let c = check_derivative(
        &child,
        &[BaseReport {
            id: "meta-llama/Meta-Llama-3-8B",
            report: &base,
        }],
    );
    let relicensed = c
        .findings
        .iter()
        .find(|f| f.code == "relicensed")
        .expect("relicensed");
    assert_eq!(relicensed.severity, Severity::Error);
    assert!(relicensed.message.contains("apache-2.0") || relicensed.message.contains("Apache-2.0"));
    assert!(
        codes(&c).contains(&"naming"),
        "name must begin with Llama 3: {:?}",
        codes(&c)
    );
    assert!(codes(&c).contains(&"attribution"));
    assert_eq!(
        c.effective_bucket,
        Bucket::RestrictedWeights,
        "never more open than its base"
    );
    assert!(c.carried.iter().any(|t| t.clause.contains("700000000")));
    assert_eq!(c.relation.as_deref(), Some("finetune"));
}

#[test]
fn a_well_behaved_llama_fine_tune_passes_the_checks() {
    let base = llama3_base();
    let child = hf_model_files(Repo::model("someone/Llama-3-8B-chat-tuned"))
        .card(
            "license: llama3\nbase_model: meta-llama/Meta-Llama-3-8B",
            "# Llama 3 chat tuned\nBuilt with Meta Llama 3.\n",
        )
        .text("LICENSE", LLAMA3_TEXT)
        .assess();
    let c = check_derivative(
        &child,
        &[BaseReport {
            id: "meta-llama/Meta-Llama-3-8B",
            report: &base,
        }],
    );
    assert!(c.findings.is_empty(), "{:?}", c.findings);
    assert!(!c.carried.is_empty(), "the base's terms are carried");
}

#[test]
fn gemma_quantisation_carries_the_flow_down() {
    let base = hf_model_files(Repo::model("google/gemma-2-9b"))
        .card("license: gemma", "# Gemma\n")
        .assess();
    let child = Repo::model("someone/gemma-2-9b-GGUF")
        .file("gemma-2-9b.Q4_K_M.gguf", 5_000_000_000)
        .card(
            "license: gemma\nbase_model: google/gemma-2-9b\nbase_model_relation: quantized",
            "# GGUF\n",
        )
        .assess();
    let c = check_derivative(
        &child,
        &[BaseReport {
            id: "google/gemma-2-9b",
            report: &base,
        }],
    );
    assert!(!codes(&c).contains(&"relicensed"));
    assert!(codes(&c).contains(&"notice"), "Gemma's notice is required");
    assert!(
        c.carried
            .iter()
            .any(|t| t.clause.contains("Gemma Prohibited Use Policy"))
    );
    assert_eq!(c.effective_bucket, Bucket::RestrictedWeights);
}

#[test]
fn non_commercial_and_no_derivative_bases_bind_the_derivative() {
    let nc = hf_model_files(Repo::model("org/nc"))
        .card("license: cc-by-nc-4.0", "")
        .assess();
    let nd = hf_model_files(Repo::model("org/nd"))
        .card("license: cc-by-nd-4.0", "")
        .assess();
    let child = hf_model_files(Repo::model("me/merge"))
        .card(
            "license: mit\nbase_model: [org/nc, org/nd]\nbase_model_relation: merge",
            "",
        )
        .assess();
    let c = check_derivative(
        &child,
        &[
            BaseReport {
                id: "org/nc",
                report: &nc,
            },
            BaseReport {
                id: "org/nd",
                report: &nd,
            },
        ],
    );
    assert!(
        c.findings
            .iter()
            .any(|f| f.code == "relicensed" && f.base == "org/nc")
    );
    assert!(
        c.findings
            .iter()
            .any(|f| f.code == "no-derivatives" && f.base == "org/nd")
    );
}

#[test]
fn open_base_and_open_derivative_have_no_findings_and_unresolved_bases_are_listed() {
    let base = hf_model_files(Repo::model("mistralai/Mistral-7B-v0.1"))
        .card("license: apache-2.0", "")
        .assess();
    let child = hf_model_files(Repo::model("me/mistral-ft"))
        .card(
            "license: mit\nbase_model: [mistralai/Mistral-7B-v0.1, some/unknown-base]",
            "",
        )
        .assess();
    let c = check_derivative(
        &child,
        &[BaseReport {
            id: "mistralai/Mistral-7B-v0.1",
            report: &base,
        }],
    );
    assert!(c.findings.is_empty(), "{:?}", c.findings);
    assert_eq!(c.unresolved_bases, ["some/unknown-base"]);
    assert_eq!(c.effective_bucket, Bucket::OpenWeights);
}
