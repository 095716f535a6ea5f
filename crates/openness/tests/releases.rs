//! Grades of repository fixtures written to match real, documented releases, with the outcome
//! OSI's published validation gives them (Pythia and OLMo pass; Llama 2/3, Mistral/Mixtral fail;
//! BLOOM "would pass with different legal terms").

mod common;

use agora_openness::grade::{Bucket, Freedom, FreedomState};
use agora_openness::report::Report;
use common::*;

fn unmet(r: &Report) -> Vec<&'static str> {
    r.grades
        .osaid
        .as_ref()
        .expect("model")
        .unmet()
        .map(|q| q.id)
        .collect()
}

fn freedom(r: &Report, f: Freedom) -> FreedomState {
    r.grades
        .freedoms
        .iter()
        .find(|g| g.freedom == f)
        .expect("freedom")
        .state
}

fn flag_codes(r: &Report) -> Vec<&'static str> {
    r.grades.flags.iter().map(|f| f.code).collect()
}

/// allenai/OLMo-7B: Apache-2.0 weights, training code on GitHub, Dolma listed and described,
/// paper on arXiv.
fn olmo() -> Repo {
    let body = "# Model Card for OLMo 7B\nOLMo is a series of Open Language Models designed to enable the science of language models.\n\n- **Repository:** https://github.com/allenai/OLMo\n- **Paper:** https://arxiv.org/abs/2402.00838\n\n## Training Data\nOLMo 7B was pretrained on Dolma, a three trillion token corpus of web pages, academic publications, code, books and encyclopedic material. The data was deduplicated, filtered for quality and toxicity, and its full provenance, selection and processing are documented in the Dolma paper and datasheet.\n\n## Training Procedure\nTrained with the OLMo codebase on 2.46T tokens; optimizer AdamW, peak learning rate 3.0e-4, sequence length 2048, batch size about 4M tokens, warmup 5000 steps, linear decay. Full configuration files are published in the repository.\n\n## Evaluation\nCore evaluation results on ARC, BoolQ, HellaSwag, OpenBookQA, PIQA, SciQ and WinoGrande, with the evaluation harness released.\n";
    hf_model_files(Repo::model("allenai/OLMo-7B"))
        .card("license: apache-2.0\ndatasets:\n- allenai/dolma\nlanguage: [en]\nlibrary_name: transformers", body)
        .text("LICENSE", APACHE_2_TEXT)
        .linked("allenai/dolma", "odc-by")
}

#[test]
fn fully_open_model_passes_osaid_on_linked_evidence() {
    let r = olmo().assess();
    let o = r.grades.osaid.as_ref().expect("osaid");
    assert!(o.pass, "unmet: {:?}", unmet(&r));
    assert!(o.relies_on_links, "the training code is only linked");
    assert_eq!(r.grades.bucket.bucket, Bucket::OpenSourceAi);
    for f in [
        Freedom::Use,
        Freedom::Access,
        Freedom::Copy,
        Freedom::Modify,
        Freedom::Distribute,
        Freedom::Study,
        Freedom::Collaborate,
    ] {
        assert_eq!(freedom(&r, f), FreedomState::Allowed, "{f:?}");
    }
    assert!(
        r.grades
            .flags
            .iter()
            .all(|f| f.severity < agora_openness::grade::Severity::Warning)
    );
}

#[test]
fn fully_open_model_without_licensed_paper_is_not_mof_classified_and_says_why() {
    let r = olmo().assess();
    let m = r.grades.mof.as_ref().expect("mof");
    assert_eq!(m.class, 0);
    assert!(
        m.unmet.iter().any(|u| u.starts_with("Technical report")
            && u.contains("research paper could stand in, but it has no licence")),
        "{:?}",
        m.unmet
    );
}

/// EleutherAI/pythia-6.9b with a MOF configuration file declaring every component.
#[test]
fn a_mof_configuration_file_declares_the_class() {
    let mof = "framework: {name: Model Openness Framework, version: '1.0', date: 2024-12-15}\nrelease:\n  name: Pythia-6.9B\n  license:\n    distribution: {name: Apache-2.0}\n    document: {name: CC-BY-4.0}\n  components:\n  - {name: Model architecture}\n  - {name: Model parameters (Final)}\n  - {name: Model parameters (Intermediate)}\n  - {name: Evaluation results}\n  - {name: Model card}\n  - {name: Data card}\n  - {name: Research paper}\n  - {name: Training code}\n  - {name: Inference code}\n  - {name: Evaluation code}\n  - {name: Evaluation data, license: MIT}\n  - {name: Datasets, license: MIT}\n  - {name: Data preprocessing code}\n";
    let r = hf_model_files(Repo::model("EleutherAI/pythia-6.9b"))
        .card(
            "license: apache-2.0\ndatasets: [EleutherAI/pile]",
            "# Pythia\n",
        )
        .text("mof.yml", mof)
        .assess();
    let m = r.grades.mof.as_ref().expect("mof");
    assert_eq!(m.class, 1, "{:?}", m.unmet);
    assert_eq!(m.basis, "declared in mof.yml");
}

/// mistralai/Mistral-7B-v0.1: Apache-2.0 weights, no training code, no data information.
#[test]
fn permissive_weights_without_code_or_data_are_open_weights_not_open_source() {
    let r = hf_model_files(Repo::model("mistralai/Mistral-7B-v0.1"))
        .card("license: apache-2.0\nlibrary_name: transformers\npipeline_tag: text-generation", "# Model Card for Mistral-7B-v0.1\nThe Mistral-7B-v0.1 Large Language Model is a pretrained generative text model with 7 billion parameters.\n")
        .assess();
    assert_eq!(unmet(&r), ["code.training", "data_information"]);
    assert_eq!(r.grades.bucket.bucket, Bucket::OpenWeights);
    assert_eq!(freedom(&r, Freedom::Use), FreedomState::Allowed);
    assert_eq!(freedom(&r, Freedom::Study), FreedomState::Restricted);
    assert!(flag_codes(&r).contains(&"open-weights-only"));
    assert_eq!(r.grades.mof.as_ref().expect("mof").class, 0);
}

/// meta-llama/Meta-Llama-3-8B: community licence with AUP and MAU cap, gated.
fn llama3() -> Repo {
    hf_model_files(Repo::model("meta-llama/Meta-Llama-3-8B"))
        .card(
            "license: llama3\ngated: manual\nextra_gated_prompt: \"### META LLAMA 3 COMMUNITY LICENSE AGREEMENT\"\nextra_gated_fields:\n  First Name: text\nlibrary_name: transformers",
            "## Model Details\nMeta developed and released the Meta Llama 3 family of large language models.\n",
        )
        .text("LICENSE", LLAMA3_TEXT)
        .text("USE_POLICY.md", "# Meta Llama 3 Acceptable Use Policy\n")
}

#[test]
fn community_licence_weights_are_restricted_with_the_deciding_clauses() {
    let r = llama3().assess();
    let u = unmet(&r);
    for id in [
        "parameters.terms",
        "code.training",
        "code.licence",
        "data_information",
        "data_information.terms",
    ] {
        assert!(u.contains(&id), "{id} should be unmet: {u:?}");
    }
    assert_eq!(r.grades.bucket.bucket, Bucket::RestrictedWeights);
    let use_ = r
        .grades
        .freedoms
        .iter()
        .find(|f| f.freedom == Freedom::Use)
        .expect("use");
    assert_eq!(use_.state, FreedomState::Restricted);
    assert!(
        use_.reason.contains("Acceptable Use Policy"),
        "{}",
        use_.reason
    );
    assert_eq!(freedom(&r, Freedom::Access), FreedomState::Restricted);
    let dist = r
        .grades
        .freedoms
        .iter()
        .find(|f| f.freedom == Freedom::Distribute)
        .expect("d");
    assert!(
        dist.reason.contains("flow") || dist.reason.contains("carry"),
        "{}",
        dist.reason
    );
    assert_eq!(freedom(&r, Freedom::Collaborate), FreedomState::Restricted);
    assert!(flag_codes(&r).contains(&"policy-by-reference"));
}

#[test]
fn calling_a_llama_model_open_source_is_flagged() {
    let r = hf_model_files(Repo::model("someone/llama-3-open"))
        .card(
            "license: llama3",
            "# Llama 3 open\nThe best open-source model you can download.\n",
        )
        .assess();
    let f = r
        .grades
        .flags
        .iter()
        .find(|f| f.code == "open-source-claim")
        .expect("flag");
    assert_eq!(f.severity, agora_openness::grade::Severity::Error);
    assert!(f.message.contains("parameters.terms"));
}

/// bigscience/bloom: RAIL licence; training code, data and paper published.
#[test]
fn rail_model_fails_osaid_only_on_its_legal_terms() {
    let body = "# BLOOM\nBigScience Large Open-science Open-access Multilingual Language Model.\n\nTraining code: https://github.com/bigscience-workshop/Megatron-DeepSpeed\nPaper: https://arxiv.org/abs/2211.05100\n\n## Training Data\nBLOOM was trained on the ROOTS corpus, 1.6TB of pre-processed text in 46 natural languages and 13 programming languages, with per-source documentation of provenance, selection, filtering and deduplication published in the ROOTS paper and the corpus catalogue.\n";
    let r = hf_model_files(Repo::model("bigscience/bloom"))
        .card("license: bigscience-bloom-rail-1.0\ndatasets: [bigscience-data/roots]\nlibrary_name: transformers", body)
        .assess();
    assert_eq!(
        unmet(&r),
        ["parameters.terms", "code.licence", "data_information.terms"]
    );
    assert_eq!(r.grades.bucket.bucket, Bucket::RestrictedWeights);
    assert!(flag_codes(&r).contains(&"remote-restriction"));
}

/// CohereForAI/aya-23-8B: CC-BY-NC-4.0 weights.
#[test]
fn non_commercial_weights_restrict_use_copy_and_distribution() {
    let r = hf_model_files(Repo::model("CohereForAI/aya-23-8B"))
        .card(
            "license: cc-by-nc-4.0\nlibrary_name: transformers",
            "# Aya 23\n",
        )
        .assess();
    assert_eq!(r.grades.bucket.bucket, Bucket::RestrictedWeights);
    assert!(r.grades.bucket.reason.contains("non-commercial"));
    for f in [Freedom::Use, Freedom::Copy, Freedom::Distribute] {
        assert_eq!(freedom(&r, f), FreedomState::Restricted, "{f:?}");
    }
}

#[test]
fn licence_text_that_contradicts_the_card_wins_and_is_flagged() {
    let r = hf_model_files(Repo::model("someone/relabelled"))
        .card("license: apache-2.0", "# Model\n")
        .text("LICENSE", LLAMA31_TEXT)
        .assess();
    assert_eq!(
        r.licence.effective.as_ref().map(|l| l.key.as_str()),
        Some("llama3.1")
    );
    assert!(flag_codes(&r).contains(&"licence-mismatch"));
    assert_eq!(r.grades.bucket.bucket, Bucket::RestrictedWeights);
}

#[test]
fn licence_family_id_is_refined_by_the_licence_file() {
    let r = hf_model_files(Repo::model("someone/gpl-model"))
        .card("license: gpl", "# Model\n")
        .text("COPYING", GPL3_TEXT)
        .assess();
    assert_eq!(
        r.licence.effective.as_ref().map(|l| l.key.as_str()),
        Some("GPL-3.0-only")
    );
    assert!(!flag_codes(&r).contains(&"licence-mismatch"));
}

#[test]
fn license_other_with_a_known_name_resolves() {
    let r = hf_model_files(Repo::model("Qwen/Qwen-7B"))
        .card(
            "license: other\nlicense_name: tongyi-qianwen\nlicense_link: LICENSE",
            "# Qwen\n",
        )
        .assess();
    assert_eq!(
        r.licence.effective.as_ref().map(|l| l.key.as_str()),
        Some("qwen")
    );
    assert_eq!(r.grades.bucket.bucket, Bucket::RestrictedWeights);
}

#[test]
fn unknown_licence_makes_the_terms_unknown_and_says_so() {
    let r = hf_model_files(Repo::model("someone/custom"))
        .card(
            "license: other\nlicense_name: my-company-licence",
            "# Model\n",
        )
        .assess();
    assert!(r.licence.effective.is_none());
    assert_eq!(freedom(&r, Freedom::Use), FreedomState::Unknown);
    assert!(r.grades.bucket.reason.contains("my-company-licence"));
    let r = hf_model_files(Repo::model("someone/typo"))
        .card("license: apache2", "")
        .assess();
    assert!(
        r.problems
            .iter()
            .any(|p| p.message.contains("unknown licence id \"apache2\""))
    );
}

#[test]
fn no_weights_is_closed() {
    let r = Repo::model("openai/gpt-4")
        .card("license: other", "# GPT-4\nAvailable through an API.\n")
        .assess();
    assert_eq!(r.grades.bucket.bucket, Bucket::Closed);
    assert_eq!(freedom(&r, Freedom::Access), FreedomState::Restricted);
}

#[test]
fn open_dataset_is_open_data() {
    let r = Repo::dataset("allenai/c4")
        .card(
            "license: odc-by\ntask_categories: [text-generation]",
            "# C4\n",
        )
        .files(&[
            "en/c4-train.00000-of-01024.json.gz",
            "data/validation.parquet",
        ])
        .assess();
    assert_eq!(r.grades.bucket.bucket, Bucket::OpenData);
    assert!(r.grades.osaid.is_none() && r.grades.mof.is_none());
}

#[test]
fn evidence_names_its_sources() {
    let r = olmo().assess();
    use agora_openness::report::{Artifact, Presence, Source};
    let w = r.findings(Artifact::Weights).next().expect("weights");
    assert_eq!(w.source, Source::file("model-00001-of-00002.safetensors"));
    assert_eq!(w.detail, "safetensors");
    let code = r.findings(Artifact::CodeRepository).next().expect("code");
    assert_eq!(code.presence, Presence::Linked);
    assert_eq!(code.detail, "github.com/allenai/OLMo");
    let ds = r
        .findings(Artifact::DatasetReference)
        .next()
        .expect("dataset");
    assert_eq!(ds.source, Source::card_field("datasets"));
    assert!(
        r.has(Artifact::DataCard) && r.has(Artifact::ResearchPaper) && r.has(Artifact::Tokenizer)
    );
}

#[test]
fn files_are_classified_by_role() {
    use agora_openness::report::Artifact;
    let r = Repo::model("x/y")
        .files(&[
            "scripts/train.py",
            "scripts/prepare_data.py",
            "eval/run_eval.py",
            "inference.py",
            "modeling_x.py",
            "checkpoint-1000/model.safetensors",
            "optimizer.pt",
            "model.gguf",
            "paper.pdf",
            "trainer_state.json",
        ])
        .text("NOTICE", "Llama 3 is licensed under ...")
        .assess();
    for a in [
        Artifact::TrainingCode,
        Artifact::DataProcessingCode,
        Artifact::EvaluationCode,
        Artifact::InferenceCode,
        Artifact::ArchitectureCode,
        Artifact::IntermediateCheckpoints,
        Artifact::ModelMetadata,
        Artifact::Weights,
        Artifact::ResearchPaper,
        Artifact::NoticeFile,
    ] {
        assert!(r.has(a), "{a:?} not found");
    }
    assert_eq!(
        r.findings(Artifact::Weights).count(),
        1,
        "only model.gguf is a final weights file"
    );
}
