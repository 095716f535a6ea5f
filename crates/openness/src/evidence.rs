//! Evidence from the repository: which artifacts are present, each with its source.

use serde::Serialize;

use crate::card::{CardFacts, LinkKind, SectionKind};
use crate::report::{Artifact, Finding, Presence, Source};
use crate::snapshot::{FileEntry, RepoSnapshot};

/// A weights file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightFormat {
    /// safetensors.
    Safetensors,
    /// PyTorch pickle (`.bin`, `.pt`, `.pth`, `.ckpt`).
    PyTorch,
    /// GGUF.
    Gguf,
    /// ONNX.
    Onnx,
    /// Keras / HDF5.
    Keras,
    /// Flax msgpack.
    Flax,
    /// TensorFlow (SavedModel, TFLite).
    TensorFlow,
    /// Core ML.
    CoreMl,
    /// NeMo archive.
    Nemo,
    /// Pickled scikit-learn / joblib.
    Pickle,
}

impl WeightFormat {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            WeightFormat::Safetensors => "safetensors",
            WeightFormat::PyTorch => "pytorch",
            WeightFormat::Gguf => "gguf",
            WeightFormat::Onnx => "onnx",
            WeightFormat::Keras => "keras",
            WeightFormat::Flax => "flax",
            WeightFormat::TensorFlow => "tensorflow",
            WeightFormat::CoreMl => "coreml",
            WeightFormat::Nemo => "nemo",
            WeightFormat::Pickle => "pickle",
        }
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Extension and stem of a lower-cased file name: `("safetensors", "model-00001-of-00002")`.
fn ext_stem(lname: &str) -> (&str, &str) {
    lname
        .rsplit_once('.')
        .map_or(("", lname), |(stem, ext)| (ext, stem))
}

/// The weights format of a file, by its name.
pub fn weight_format(path: &str) -> Option<WeightFormat> {
    let lname = file_name(path).to_ascii_lowercase();
    let (e, s) = ext_stem(&lname);
    weight_format_of(e, s)
}

/// The weights format from a lower-cased extension and stem.
fn weight_format_of(e: &str, s: &str) -> Option<WeightFormat> {
    Some(match e {
        "safetensors" => WeightFormat::Safetensors,
        "pt" | "pth" | "ckpt" => WeightFormat::PyTorch,
        "bin" if s.contains("model") || s.starts_with("adapter") || s.contains("diffusion") => {
            WeightFormat::PyTorch
        }
        "gguf" | "ggml" => WeightFormat::Gguf,
        "onnx" => WeightFormat::Onnx,
        "h5" | "keras" | "hdf5" => WeightFormat::Keras,
        "msgpack" => WeightFormat::Flax,
        "tflite" => WeightFormat::TensorFlow,
        "pb" if s == "saved_model" => WeightFormat::TensorFlow,
        "mlmodel" => WeightFormat::CoreMl,
        "nemo" => WeightFormat::Nemo,
        "joblib" | "pkl" | "pickle" => WeightFormat::Pickle,
        _ => return None,
    })
}

const CODE_EXT: &[&str] = &[
    "py", "ipynb", "sh", "rs", "cpp", "cc", "c", "cu", "h", "jl", "r", "scala", "java", "go", "js",
    "ts", "lua",
];
const DATA_EXT: &[&str] = &[
    "parquet",
    "arrow",
    "jsonl",
    "csv",
    "tsv",
    "json.gz",
    "jsonl.gz",
    "jsonl.zst",
    "zst",
    "tfrecord",
    "webdataset",
    "tar",
    "txt.gz",
    "wav",
    "flac",
    "mp3",
    "png",
    "jpg",
    "jpeg",
    "npy",
    "npz",
];

fn contains_any(s: &str, words: &[&str]) -> bool {
    words.iter().any(|w| s.contains(w))
}

/// A licence file, by its lower-cased name.
fn is_licence_file(lname: &str) -> bool {
    lname.starts_with("license") || lname.starts_with("licence") || lname.starts_with("copying")
}

/// Open-source libraries a card may name in `library_name` that provide the architecture and
/// inference code, with their licences (SPDX ids).
pub const OPEN_LIBRARIES: &[(&str, &str)] = &[
    ("transformers", "Apache-2.0"),
    ("diffusers", "Apache-2.0"),
    ("sentence-transformers", "Apache-2.0"),
    ("timm", "Apache-2.0"),
    ("peft", "Apache-2.0"),
    ("open_clip", "MIT"),
    ("spacy", "MIT"),
    ("flair", "MIT"),
    ("fastai", "Apache-2.0"),
    ("keras", "Apache-2.0"),
    ("tf-keras", "Apache-2.0"),
    ("scikit-learn", "BSD-3-Clause"),
    ("sklearn", "BSD-3-Clause"),
    ("mlx", "MIT"),
    ("nemo", "Apache-2.0"),
    ("speechbrain", "Apache-2.0"),
    ("pyannote-audio", "MIT"),
    ("setfit", "Apache-2.0"),
    ("stable-baselines3", "MIT"),
    ("espnet", "Apache-2.0"),
    ("fairseq", "MIT"),
    ("llama.cpp", "MIT"),
    ("vllm", "Apache-2.0"),
    ("transformers.js", "Apache-2.0"),
    ("gliner", "Apache-2.0"),
    ("span-marker", "Apache-2.0"),
    ("bertopic", "MIT"),
];

/// The licence of an open-source library named by `library_name`, if known.
pub fn library_licence(name: &str) -> Option<&'static str> {
    let n = name.trim().to_ascii_lowercase();
    OPEN_LIBRARIES
        .iter()
        .find(|(l, _)| *l == n)
        .map(|(_, lic)| *lic)
}

fn push(
    out: &mut Vec<Finding>,
    artifact: Artifact,
    presence: Presence,
    detail: impl Into<String>,
    source: Source,
) {
    out.push(Finding {
        artifact,
        presence,
        detail: detail.into(),
        source,
    });
}

fn classify_file(f: &FileEntry, out: &mut Vec<Finding>) {
    let path = f.path.as_str();
    let name = file_name(path);
    let lpath = path.to_ascii_lowercase();
    let lname = file_name(&lpath);
    let (e, s) = ext_stem(lname);
    let src = || Source::file(path);
    let in_checkpoint_dir = lpath.split('/').rev().skip(1).any(|d| {
        d.starts_with("checkpoint")
            || d.starts_with("step")
            || d.starts_with("ckpt")
            || d.starts_with("intermediate")
    });

    if let Some(fmt) = weight_format_of(e, s) {
        let artifact = if in_checkpoint_dir || lname.contains("optimizer") {
            if lname.contains("optimizer") {
                Artifact::ModelMetadata
            } else {
                Artifact::IntermediateCheckpoints
            }
        } else if s.contains("training_args") {
            Artifact::ModelMetadata
        } else {
            Artifact::Weights
        };
        push(out, artifact, Presence::InRepo, fmt.name(), src());
        return;
    }
    if is_licence_file(lname) {
        push(out, Artifact::LicenceFile, Presence::InRepo, name, src());
        return;
    }
    if lname.starts_with("notice") {
        push(out, Artifact::NoticeFile, Presence::InRepo, name, src());
        return;
    }
    if lname.contains("use_policy")
        || lname.contains("acceptable_use")
        || lname.contains("prohibited_use")
    {
        push(out, Artifact::UsePolicy, Presence::InRepo, name, src());
        return;
    }
    if matches!(lname, "mof.json" | "mof.yml" | "mof.yaml") {
        push(out, Artifact::MofConfig, Presence::InRepo, name, src());
        return;
    }
    if lname == "config.json" || lname == "params.json" || lname == "model_index.json" {
        push(out, Artifact::ModelConfig, Presence::InRepo, name, src());
        return;
    }
    if lname == "trainer_state.json"
        || lname == "training_args.bin"
        || lname.contains("training_config")
    {
        push(out, Artifact::ModelMetadata, Presence::InRepo, name, src());
        return;
    }
    if lname.starts_with("tokenizer")
        || lname == "vocab.txt"
        || lname == "vocab.json"
        || lname == "merges.txt"
        || lname.ends_with(".tiktoken")
        || lname == "spiece.model"
        || lname.starts_with("sentencepiece")
        || lname == "special_tokens_map.json"
    {
        push(out, Artifact::Tokenizer, Presence::InRepo, name, src());
        return;
    }
    if e == "pdf" {
        let artifact = if contains_any(s, &["report", "technical", "tech_report", "techreport"]) {
            Artifact::TechnicalReport
        } else if contains_any(s, &["datasheet", "data_card", "datacard"]) {
            Artifact::DataCard
        } else {
            Artifact::ResearchPaper
        };
        push(out, artifact, Presence::InRepo, name, src());
        return;
    }
    if e == "md" && contains_any(s, &["datasheet", "data_card", "datacard"]) {
        push(out, Artifact::DataCard, Presence::InRepo, name, src());
        return;
    }
    if CODE_EXT.contains(&e) || matches!(lname, "makefile" | "dockerfile") {
        let p = &lpath;
        let artifact = if s.starts_with("modeling_")
            || s.starts_with("configuration_")
            || s == "model"
            || s == "modeling"
            || s.contains("architecture")
        {
            Artifact::ArchitectureCode
        } else if contains_any(
            p,
            &[
                "preprocess",
                "prepare_data",
                "data_prep",
                "dataprep",
                "dedup",
                "filter_data",
                "clean_data",
                "build_dataset",
                "tokenize_data",
                "make_dataset",
                "data_pipeline",
            ],
        ) {
            Artifact::DataProcessingCode
        } else if contains_any(
            p,
            &[
                "train", "finetun", "fine_tun", "pretrain", "sft", "dpo", "rlhf", "distill",
            ],
        ) {
            Artifact::TrainingCode
        } else if contains_any(p, &["eval", "benchmark"]) {
            Artifact::EvaluationCode
        } else if contains_any(
            p,
            &[
                "infer", "generat", "predict", "serve", "handler", "demo", "pipeline", "chat",
                "run_",
            ],
        ) || s == "app"
        {
            Artifact::InferenceCode
        } else if s.starts_with("tokenization_") {
            Artifact::Tokenizer
        } else {
            Artifact::SupportingCode
        };
        push(out, artifact, Presence::InRepo, name, src());
        return;
    }
    if matches!(
        lname,
        "requirements.txt" | "setup.py" | "pyproject.toml" | "environment.yml" | "setup.cfg"
    ) {
        push(out, Artifact::SupportingCode, Presence::InRepo, name, src());
        return;
    }
    if (e == "yaml" || e == "yml" || e == "json" || e == "toml")
        && contains_any(&lpath, &["train", "finetun", "recipe"])
    {
        push(out, Artifact::ModelMetadata, Presence::InRepo, name, src());
        return;
    }
    if e == "jsonl" && contains_any(&lpath, &["sample", "example", "output", "generation"]) {
        push(out, Artifact::SampleOutputs, Presence::InRepo, name, src());
        return;
    }
    if DATA_EXT.iter().any(|d| {
        lname
            .strip_suffix(d)
            .is_some_and(|rest| rest.ends_with('.'))
    }) || lpath.starts_with("data/") && !lname.ends_with(".md")
    {
        push(out, Artifact::DataFiles, Presence::InRepo, name, src());
    }
}

/// Gather all evidence for a snapshot whose card has been read.
pub fn gather(snap: &RepoSnapshot, card: &CardFacts) -> Vec<Finding> {
    let mut out = Vec::new();
    for f in &snap.files {
        if f.path.eq_ignore_ascii_case("README.md") {
            continue;
        }
        classify_file(f, &mut out);
    }
    if card.present {
        push(
            &mut out,
            Artifact::ModelCard,
            Presence::InRepo,
            format!("{} characters", card.body_chars),
            Source::file("README.md"),
        );
    }
    if let Some(lib) = &card.library_name
        && let Some(lic) = library_licence(lib)
    {
        let src = Source::Library { name: lib.clone() };
        push(
            &mut out,
            Artifact::ArchitectureCode,
            Presence::Library,
            format!("{lib} ({lic})"),
            src.clone(),
        );
        push(
            &mut out,
            Artifact::InferenceCode,
            Presence::Library,
            format!("{lib} ({lic})"),
            src,
        );
    }
    for d in &card.datasets {
        push(
            &mut out,
            Artifact::DatasetReference,
            Presence::Declared,
            d.clone(),
            Source::card_field("datasets"),
        );
    }
    let mut eval_sets: Vec<&str> = card
        .eval_results
        .iter()
        .filter_map(|r| r.dataset.as_deref())
        .collect();
    eval_sets.sort_unstable();
    eval_sets.dedup();
    for d in eval_sets {
        push(
            &mut out,
            Artifact::EvaluationData,
            Presence::Declared,
            d,
            Source::card_field("model-index"),
        );
    }
    if !card.eval_results.is_empty() {
        push(
            &mut out,
            Artifact::EvaluationResults,
            Presence::Declared,
            format!("{} results", card.eval_results.len()),
            Source::card_field("model-index"),
        );
    }
    for (kind, artifact, min) in [
        (SectionKind::TrainingData, Artifact::DataCard, 200),
        (
            SectionKind::TrainingProcedure,
            Artifact::TrainingProcedure,
            200,
        ),
        (SectionKind::Evaluation, Artifact::EvaluationResults, 100),
        (SectionKind::Examples, Artifact::SampleOutputs, 100),
    ] {
        if let Some(s) = card.substantive(kind, min) {
            push(
                &mut out,
                artifact,
                Presence::InRepo,
                format!("{} characters", s.chars),
                Source::CardSection {
                    heading: s.heading.clone(),
                },
            );
        }
    }
    let mut seen_code = Vec::new();
    for l in &card.links {
        match l.kind {
            LinkKind::Paper => {
                let is_report = l
                    .section
                    .as_deref()
                    .is_some_and(|s| s.to_lowercase().contains("report"));
                let artifact = if is_report {
                    Artifact::TechnicalReport
                } else {
                    Artifact::ResearchPaper
                };
                push(
                    &mut out,
                    artifact,
                    Presence::Linked,
                    l.url.clone(),
                    Source::CardLink { url: l.url.clone() },
                );
            }
            LinkKind::CodeRepository => {
                // Only links to a repository (owner/name), once each.
                let path = l.url.split("://").nth(1).unwrap_or(&l.url);
                let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
                if parts.len() >= 3 {
                    let repo = format!(
                        "{}/{}/{}",
                        parts[0],
                        parts[1],
                        parts[2].trim_end_matches(".git")
                    );
                    if !seen_code.contains(&repo) {
                        seen_code.push(repo.clone());
                        push(
                            &mut out,
                            Artifact::CodeRepository,
                            Presence::Linked,
                            repo,
                            Source::CardLink { url: l.url.clone() },
                        );
                    }
                }
            }
            LinkKind::Dataset | LinkKind::Other => {}
        }
    }
    for t in &card.tags {
        if let Some(id) = t.strip_prefix("arxiv:") {
            push(
                &mut out,
                Artifact::ResearchPaper,
                Presence::Declared,
                format!("arXiv {id}"),
                Source::card_field("tags"),
            );
        }
    }
    out
}
