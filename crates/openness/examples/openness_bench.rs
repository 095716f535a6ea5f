//! Openness benchmark (issue 5, `bench/`): reports per second on a corpus of generated
//! repositories, and the time to regrade a hub of 100,000 repositories after a rule change.
//!
//! Run it in release mode (`bench/openness.sh` does):
//!
//! ```text
//! cargo run --release -p agora-openness --example openness_bench -- [--repos 100000]
//!     [--sample 20000] [--threads N] [--seed 5] [--runs 3] [--json] [--profile-only]
//! ```
//!
//! The corpus is generated in memory from a fixed seed, so every run grades the same
//! repositories: model and dataset repositories with cards of different sizes (a one-line
//! card up to a 1 MB card with long tables), licences as the Hub sees them (apache-2.0, mit,
//! llama2/3/3.1/3.2, gemma, the OpenRAIL family, cc-by-nc-4.0, `other` with `license_name`,
//! ids nobody knows, `unknown`, none), with and without `base_model`, `datasets`, training
//! code, LICENSE texts (short openings and the full Apache-2.0, MIT and Llama-length texts),
//! configs, tokenizers, weights in every format, and 5 to 2,000 files per repository.
//!
//! Measures, each after a warm-up:
//! * catalogue build (`LicenceCatalogue::builtin`), done once per rule change;
//! * reports per second, `assess` alone and `assess` + JSON, on one thread and on all cores
//!   (`std::thread`, the corpus split in chunks handed out by an atomic counter);
//! * the wall time to regrade every repository of the corpus (100,000 by default): `assess`
//!   plus serialising each report the way the hub stores it (`serde_json::to_value`, then
//!   `to_string`, as `crates/api/src/openness.rs` does), on one thread and on all cores.
//!
//! Not measured: building snapshots from the git store and writing the `assessments` rows,
//! which are I/O of the hub, and lineage checks (they reuse reports of base models).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use agora_openness::{
    FileEntry, LicenceCatalogue, LinkedRepo, RepoSnapshot, RepoType, Report, assess,
};

// ---------------------------------------------------------------------------------------------
// Deterministic random numbers (splitmix64).

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    /// Pick by weight.
    fn weighted<'a, T>(&mut self, xs: &'a [(u32, T)]) -> &'a T {
        let total: u32 = xs.iter().map(|(w, _)| *w).sum();
        let mut r = self.below(total as usize) as u32;
        for (w, x) in xs {
            if r < *w {
                return x;
            }
            r -= w;
        }
        &xs[xs.len() - 1].1
    }
    fn hex(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n);
        while s.len() < n {
            s.push_str(&format!("{:016x}", self.next()));
        }
        s.truncate(n);
        s
    }
}

// ---------------------------------------------------------------------------------------------
// Licence texts.

/// The full Apache License 2.0 text (10.8 KB, with the appendix).
const APACHE_FULL: &str = include_str!("bench_data/apache-2.0.txt");
const APACHE_SHORT: &str = "\n                                 Apache License\n                           Version 2.0, January 2004\n                        http://www.apache.org/licenses/\n\n   TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION\n\n   1. Definitions.\n";
const MIT_FULL: &str = "MIT License\n\nCopyright (c) 2024 The Authors\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\nof this software and associated documentation files (the \"Software\"), to deal\nin the Software without restriction, including without limitation the rights\nto use, copy, modify, merge, publish, distribute, sublicense, and/or sell\ncopies of the Software, and to permit persons to whom the Software is\nfurnished to do so, subject to the following conditions:\n\nThe above copyright notice and this permission notice shall be included in all\ncopies or substantial portions of the Software.\n\nTHE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR\nIMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,\nFITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE\nAUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER\nLIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,\nOUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE\nSOFTWARE.\n";
const LLAMA31_SHORT: &str =
    "LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\nLlama 3.1 Version Release Date: July 23, 2024\n";
const GEMMA_SHORT: &str = "Gemma Terms of Use\n\nLast modified: February 21, 2024\n\nBy using, reproducing, modifying, distributing, performing or displaying any portion or element of Gemma, Model Derivatives including via any Hosted Service, you agree to be bound by this Agreement.\n";
const RAIL_SHORT: &str =
    "CreativeML Open RAIL-M\ndated August 22, 2022\n\nSection I: PRELIMINARY CONSIDERATIONS\n";
const CC_BY_NC_SHORT: &str = "Attribution-NonCommercial 4.0 International\n\n=======================================================================\n\nCreative Commons Attribution-NonCommercial 4.0 International Public License\n\nBy exercising the Licensed Rights (defined below), You accept and agree to be bound by the terms and conditions of this Creative Commons Attribution-NonCommercial 4.0 International Public License.\n";
const CUSTOM_TEXT: &str = "ACME MODEL LICENSE\n\nThis model is provided for evaluation. Redistribution requires written consent from ACME Corp.\nYou may not use the model to build competing products.\n";

/// A Llama-3-length community licence: the real heading and definitions, padded with
/// licence-like clauses (curly quotes included) to the ~7.8 KB of the real text.
fn llama3_full() -> String {
    let mut s = String::from(
        "META LLAMA 3 COMMUNITY LICENSE AGREEMENT\nMeta Llama 3 Version Release Date: April 18, 2024\n\n\u{201c}Agreement\u{201d} means the terms and conditions for use, reproduction, distribution and modification of the Llama Materials set forth herein.\n\n\u{201c}Documentation\u{201d} means the specifications, manuals and documentation accompanying Meta Llama 3 distributed by Meta at https://llama.meta.com/get-started/.\n\n",
    );
    let clauses = [
        "a. Grant of Rights. You are granted a non-exclusive, worldwide, non-transferable and royalty-free limited license under Meta\u{2019}s intellectual property or other rights owned by Meta embodied in the Llama Materials to use, reproduce, distribute, copy, create derivative works of, and make modifications to the Llama Materials.\n\n",
        "b. Redistribution and Use. If you distribute or make available the Llama Materials (or any derivative works thereof), or a product or service that uses any of them, including another AI model, you shall (A) provide a copy of this Agreement with any such Llama Materials; and (B) prominently display \u{201c}Built with Meta Llama 3\u{201d} on a related website, user interface, blogpost, about page, or product documentation.\n\n",
        "2. Additional Commercial Terms. If, on the Meta Llama 3 version release date, the monthly active users of the products or services made available by or for Licensee, or Licensee\u{2019}s affiliates, is greater than 700 million monthly active users in the preceding calendar month, you must request a license from Meta.\n\n",
        "3. Disclaimer of Warranty. UNLESS REQUIRED BY APPLICABLE LAW, THE LLAMA MATERIALS AND ANY OUTPUT AND RESULTS THEREFROM ARE PROVIDED ON AN \u{201c}AS IS\u{201d} BASIS, WITHOUT WARRANTIES OF ANY KIND.\n\n",
        "4. Limitation of Liability. IN NO EVENT WILL META OR ITS AFFILIATES BE LIABLE UNDER ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, TORT, NEGLIGENCE, PRODUCTS LIABILITY, OR OTHERWISE, ARISING OUT OF THIS AGREEMENT.\n\n",
    ];
    let mut i = 0;
    while s.len() < 7_800 {
        s.push_str(clauses[i % clauses.len()]);
        i += 1;
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Corpus generation.

const WORDS: &[&str] = &[
    "model",
    "training",
    "the",
    "data",
    "we",
    "evaluate",
    "on",
    "benchmark",
    "tokens",
    "layers",
    "attention",
    "with",
    "a",
    "of",
    "and",
    "to",
    "is",
    "fine-tuned",
    "parameters",
    "results",
    "performance",
    "language",
    "instruction",
    "dataset",
    "learning",
    "rate",
    "batch",
    "size",
    "context",
    "length",
    "users",
    "should",
    "be",
    "aware",
    "bias",
    "risks",
    "limitations",
    "for",
    "in",
    "this",
    "card",
    "trained",
    "using",
    "GPUs",
    "hours",
    "compute",
    "carbon",
];

fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(rng.pick::<&str>(WORDS));
    }
    s.push('.');
    s
}

fn paragraph(rng: &mut Rng, target: usize) -> String {
    let mut p = String::new();
    while p.len() < target {
        let n = rng.range(6, 24);
        p.push_str(&sentence(rng, n));
        p.push(' ');
    }
    p.push('\n');
    p
}

const HEADINGS: &[&str] = &[
    "Model Details",
    "Model Description",
    "Uses",
    "Direct Use",
    "Out-of-Scope Use",
    "Bias, Risks, and Limitations",
    "How to Get Started with the Model",
    "Training Details",
    "Training Data",
    "Training Procedure",
    "Training Hyperparameters",
    "Evaluation",
    "Results",
    "Environmental Impact",
    "Technical Specifications",
    "Citation",
    "License",
    "Examples",
];

fn card_body(rng: &mut Rng, target: usize, model: bool, claims_open: bool) -> String {
    let mut b = String::with_capacity(target + 1024);
    b.push_str(&format!("# {}\n\n", sentence(rng, 3)));
    b.push_str(&paragraph(rng, 200.min(target)));
    if claims_open {
        b.push_str("This is a fully open source model released for everyone.\n");
    }
    if target < 600 {
        return b;
    }
    let template = rng.chance(0.3);
    while b.len() < target {
        let h = rng.pick(HEADINGS);
        let level = if rng.chance(0.3) { 2 } else { 3 };
        b.push_str(&format!("\n{} {h}\n\n", "#".repeat(level)));
        if template && rng.chance(0.5) {
            b.push_str("[More Information Needed]\n");
            continue;
        }
        match rng.below(8) {
            0 => b.push_str(&format!(
                "See the paper at https://arxiv.org/abs/{}.{:05} and the code at https://github.com/org{}/repo{}.\n",
                rng.range(1801, 2412),
                rng.below(99_999),
                rng.below(500),
                rng.below(50)
            )),
            1 => {
                b.push_str("```python\nfrom transformers import AutoModelForCausalLM\nmodel = AutoModelForCausalLM.from_pretrained(\"org/model\")\n# Training data: not in a fence\n```\n");
            }
            2 => {
                b.push_str("| Benchmark | Score | Notes |\n|---|---|---|\n");
                for _ in 0..rng.range(3, 40) {
                    b.push_str(&format!(
                        "| {} | {}.{} | {} |\n",
                        rng.pick(WORDS),
                        rng.below(100),
                        rng.below(10),
                        sentence(rng, 4)
                    ));
                }
            }
            3 if model => b.push_str("Built with Meta Llama 3. See https://huggingface.co/datasets/HuggingFaceFW/fineweb for the data.\n"),
            _ => {
                let n = rng.range(150, 1500);
                b.push_str(&paragraph(rng, n));
            }
        }
    }
    b
}

const ORGS: &[&str] = &[
    "meta-llama",
    "google",
    "mistralai",
    "allenai",
    "EleutherAI",
    "bigscience",
    "stabilityai",
    "TheBloke",
    "bartowski",
    "unsloth",
    "Qwen",
    "microsoft",
    "nvidia",
    "someone",
    "lab42",
];
const BASES: &[&str] = &[
    "meta-llama/Meta-Llama-3-8B",
    "meta-llama/Llama-3.1-8B-Instruct",
    "meta-llama/Llama-2-7b-hf",
    "google/gemma-2-9b",
    "mistralai/Mistral-7B-v0.1",
    "allenai/OLMo-7B",
    "Qwen/Qwen2.5-7B",
    "stabilityai/stable-diffusion-xl-base-1.0",
    "bert-base-uncased",
    "openai/whisper-large-v3",
];
const DATASETS: &[&str] = &[
    "allenai/dolma",
    "HuggingFaceFW/fineweb",
    "tatsu-lab/alpaca",
    "Open-Orca/OpenOrca",
    "openai/gsm8k",
    "cais/mmlu",
    "wikipedia",
    "bookcorpus",
    "laion/laion2B-en",
    "my-org/private-data",
];
const DATASET_LICENCES: &[&str] = &[
    "odc-by",
    "apache-2.0",
    "cc-by-nc-4.0",
    "mit",
    "cc-by-sa-3.0",
    "cc-by-4.0",
    "other",
];

/// A licence choice: the card's `license` value(s), an optional `license_name`, and which
/// LICENSE text (if any) matches it.
#[derive(Clone, Copy)]
enum Lic {
    Id(&'static str, Text),
    Other(&'static str),
    Unknown(&'static str),
    None,
}

#[derive(Clone, Copy, PartialEq)]
enum Text {
    Apache,
    Mit,
    Llama3,
    Llama31,
    Gemma,
    Rail,
    CcByNc,
    Custom,
}

const MODEL_LICENCES: &[(u32, Lic)] = &[
    (25, Lic::Id("apache-2.0", Text::Apache)),
    (15, Lic::Id("mit", Text::Mit)),
    (5, Lic::Id("llama3", Text::Llama3)),
    (4, Lic::Id("llama3.1", Text::Llama31)),
    (2, Lic::Id("llama3.2", Text::Custom)),
    (3, Lic::Id("llama2", Text::Custom)),
    (5, Lic::Id("gemma", Text::Gemma)),
    (3, Lic::Id("creativeml-openrail-m", Text::Rail)),
    (2, Lic::Id("openrail", Text::Rail)),
    (2, Lic::Id("openrail++", Text::Custom)),
    (1, Lic::Id("bigscience-openrail-m", Text::Custom)),
    (1, Lic::Id("bigcode-openrail-m", Text::Custom)),
    (6, Lic::Id("cc-by-nc-4.0", Text::CcByNc)),
    (3, Lic::Id("cc-by-4.0", Text::Custom)),
    (2, Lic::Id("bsd-3-clause", Text::Custom)),
    (2, Lic::Id("gpl-3.0", Text::Custom)),
    (1, Lic::Id("afl-3.0", Text::Custom)),
    (3, Lic::Other("tongyi-qianwen")),
    (1, Lic::Other("deepseek")),
    (2, Lic::Other("acme-model-license-v2")),
    (2, Lic::Unknown("apache2")),
    (1, Lic::Unknown("Apache License 2.0")),
    (1, Lic::Unknown("free-for-all")),
    (2, Lic::Unknown("unknown")),
    (8, Lic::None),
];

const DATASET_LICENCE_CHOICES: &[(u32, Lic)] = &[
    (20, Lic::Id("cc-by-4.0", Text::Custom)),
    (10, Lic::Id("cc-by-sa-4.0", Text::Custom)),
    (8, Lic::Id("cc0-1.0", Text::Custom)),
    (8, Lic::Id("odc-by", Text::Custom)),
    (15, Lic::Id("mit", Text::Mit)),
    (12, Lic::Id("apache-2.0", Text::Apache)),
    (10, Lic::Id("cc-by-nc-4.0", Text::CcByNc)),
    (5, Lic::Other("custom-research-terms")),
    (4, Lic::Unknown("unknown")),
    (8, Lic::None),
];

struct Texts {
    llama3_full: String,
}

fn licence_text(t: Text, full: bool, texts: &Texts) -> &str {
    match (t, full) {
        (Text::Apache, true) => APACHE_FULL,
        (Text::Apache, false) => APACHE_SHORT,
        (Text::Mit, _) => MIT_FULL,
        (Text::Llama3, true) => &texts.llama3_full,
        (Text::Llama3, false) | (Text::Llama31, _) => LLAMA31_SHORT,
        (Text::Gemma, _) => GEMMA_SHORT,
        (Text::Rail, _) => RAIL_SHORT,
        (Text::CcByNc, _) => CC_BY_NC_SHORT,
        (Text::Custom, _) => CUSTOM_TEXT,
    }
}

/// File count: most repositories are small, a few are huge (5 to 2,000 files).
fn file_count(rng: &mut Rng) -> usize {
    match rng.below(100) {
        0..=64 => rng.range(5, 20),
        65..=89 => rng.range(21, 100),
        90..=97 => rng.range(101, 500),
        _ => rng.range(501, 2000),
    }
}

/// Card body size in bytes.
fn card_size(rng: &mut Rng) -> usize {
    match rng.below(100) {
        0..=14 => rng.range(50, 400),
        15..=59 => rng.range(1_000, 6_000),
        60..=94 => rng.range(6_000, 30_000),
        95..=98 => rng.range(30_000, 150_000),
        _ => rng.range(300_000, 1_000_000),
    }
}

fn lfs(rng: &mut Rng, path: String, size: u64) -> FileEntry {
    FileEntry {
        path,
        size,
        text: None,
        sha256: Some(rng.hex(64)),
    }
}

fn plain(path: impl Into<String>, size: u64) -> FileEntry {
    FileEntry {
        path: path.into(),
        size,
        text: None,
        sha256: None,
    }
}

fn text(path: impl Into<String>, t: &str) -> FileEntry {
    FileEntry {
        path: path.into(),
        size: t.len() as u64,
        text: Some(t.to_string()),
        sha256: None,
    }
}

const CONFIG_JSON: &str = "{\n  \"architectures\": [\"LlamaForCausalLM\"],\n  \"attention_bias\": false,\n  \"bos_token_id\": 128000,\n  \"eos_token_id\": 128001,\n  \"hidden_act\": \"silu\",\n  \"hidden_size\": 4096,\n  \"initializer_range\": 0.02,\n  \"intermediate_size\": 14336,\n  \"max_position_embeddings\": 8192,\n  \"model_type\": \"llama\",\n  \"num_attention_heads\": 32,\n  \"num_hidden_layers\": 32,\n  \"num_key_value_heads\": 8,\n  \"rms_norm_eps\": 1e-05,\n  \"rope_theta\": 500000.0,\n  \"tie_word_embeddings\": false,\n  \"torch_dtype\": \"bfloat16\",\n  \"transformers_version\": \"4.40.0.dev0\",\n  \"use_cache\": true,\n  \"vocab_size\": 128256\n}\n";

fn yaml_list(key: &str, items: &[String]) -> String {
    let mut s = format!("{key}:\n");
    for i in items {
        s.push_str(&format!("- {i}\n"));
    }
    s
}

fn model_repo(rng: &mut Rng, i: usize, texts: &Texts) -> RepoSnapshot {
    let org = rng.pick(ORGS);
    let repo_id = format!("{org}/model-{i}");
    let lic = *rng.weighted(MODEL_LICENCES);
    let target_files = file_count(rng);
    let mut files = Vec::with_capacity(target_files + 8);

    // Front matter.
    let mut fm = String::new();
    match lic {
        Lic::Id(id, _) => fm.push_str(&format!("license: {id}\n")),
        Lic::Other(name) => fm.push_str(&format!(
            "license: other\nlicense_name: {name}\nlicense_link: LICENSE\n"
        )),
        Lic::Unknown(id) => fm.push_str(&format!("license: {id}\n")),
        Lic::None => {}
    }
    let library = *rng.pick(&[
        "transformers",
        "transformers",
        "transformers",
        "diffusers",
        "peft",
        "sentence-transformers",
        "gguf",
        "timm",
        "",
    ]);
    if !library.is_empty() {
        fm.push_str(&format!("library_name: {library}\n"));
    }
    fm.push_str(&format!(
        "pipeline_tag: {}\n",
        rng.pick(&[
            "text-generation",
            "text-to-image",
            "automatic-speech-recognition",
            "feature-extraction",
            "image-classification",
        ])
    ));
    let derived = rng.chance(0.45);
    if derived {
        let base = *rng.pick(BASES);
        fm.push_str(&format!("base_model: {base}\n"));
        if rng.chance(0.7) {
            fm.push_str(&format!(
                "base_model_relation: {}\n",
                rng.pick(&["finetune", "quantized", "adapter", "merge", "finetune"])
            ));
        }
    }
    let mut linked = Vec::new();
    if rng.chance(0.4) {
        let n = rng.range(1, 5);
        let ds: Vec<String> = (0..n).map(|_| rng.pick(DATASETS).to_string()).collect();
        fm.push_str(&yaml_list("datasets", &ds));
        for d in ds {
            if rng.chance(0.6) {
                linked.push(LinkedRepo {
                    id: d,
                    repo_type: RepoType::Dataset,
                    license: Some(rng.pick(DATASET_LICENCES).to_string()),
                });
            }
        }
    }
    fm.push_str("language:\n- en\n");
    if rng.chance(0.3) {
        fm.push_str("- fr\n- de\n- no\n");
    }
    let mut tags = vec!["text-generation-inference".to_string()];
    if rng.chance(0.2) {
        tags.push(format!(
            "arxiv:{}.{:05}",
            rng.range(1801, 2412),
            rng.below(99_999)
        ));
    }
    let claims_open = rng.chance(0.08);
    if claims_open && rng.chance(0.5) {
        tags.push("open-source".into());
    }
    fm.push_str(&yaml_list("tags", &tags));
    let gated = matches!(lic, Lic::Id(id, _) if id.starts_with("llama") || id == "gemma");
    if gated && rng.chance(0.7) {
        fm.push_str("gated: manual\nextra_gated_prompt: \"You agree to the license\"\nextra_gated_fields:\n  First Name: text\n  Country: country\n  I accept the terms: checkbox\n");
    }
    if rng.chance(0.2) {
        fm.push_str("model-index:\n- name: model\n  results:\n");
        for _ in 0..rng.range(1, 8) {
            let ds = rng.pick(DATASETS);
            fm.push_str(&format!(
                "  - task:\n      type: text-generation\n    dataset:\n      type: {ds}\n      name: {ds}\n    metrics:\n"
            ));
            for _ in 0..rng.range(1, 4) {
                fm.push_str(&format!(
                    "    - type: acc\n      value: {}.{}\n",
                    rng.below(100),
                    rng.below(100)
                ));
            }
        }
    }
    if rng.chance(0.01) {
        // A card whose front matter does not parse.
        fm.push_str("license: [apache-2.0\n  : :\n");
    }
    let body_size = card_size(rng);
    let body = card_body(rng, body_size, true, claims_open);
    let readme = format!("---\n{fm}---\n{body}");
    files.push(text("README.md", &readme));
    files.push(plain(".gitattributes", 1_519));

    // Configs and tokenizer.
    if library != "gguf" && rng.chance(0.9) {
        files.push(text("config.json", CONFIG_JSON));
        files.push(plain("generation_config.json", 180));
    }
    if rng.chance(0.7) {
        files.push(plain("tokenizer.json", 9_085_000));
        files.push(plain("tokenizer_config.json", 51_000));
        files.push(plain("special_tokens_map.json", 420));
        if rng.chance(0.3) {
            files.push(plain("vocab.json", 798_000));
            files.push(plain("merges.txt", 456_000));
        }
    }

    // Weights.
    let family = rng.below(10);
    match family {
        0..=3 => {
            let n = rng.range(1, 30);
            if n == 1 {
                files.push(lfs(rng, "model.safetensors".into(), 4_900_000_000));
            } else {
                for k in 1..=n {
                    let p = format!("model-{k:05}-of-{n:05}.safetensors");
                    files.push(lfs(rng, p, 4_900_000_000));
                }
                files.push(plain("model.safetensors.index.json", 23_950));
            }
        }
        4 => {
            files.push(lfs(rng, "pytorch_model.bin".into(), 1_340_000_000));
            if rng.chance(0.5) {
                files.push(lfs(rng, "tf_model.h5".into(), 1_340_000_000));
                files.push(lfs(rng, "flax_model.msgpack".into(), 1_340_000_000));
            }
        }
        5 => {
            for q in ["Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0", "F16"]
                .iter()
                .take(rng.range(1, 7))
            {
                files.push(lfs(rng, format!("model.{q}.gguf"), 4_100_000_000));
            }
        }
        6 => {
            files.push(lfs(rng, "adapter_model.safetensors".into(), 167_000_000));
            files.push(plain("adapter_config.json", 700));
        }
        7 => {
            for d in ["unet", "vae", "text_encoder", "text_encoder_2"] {
                files.push(lfs(
                    rng,
                    format!("{d}/diffusion_pytorch_model.safetensors"),
                    3_400_000_000,
                ));
                files.push(plain(format!("{d}/config.json"), 900));
            }
            files.push(plain("model_index.json", 609));
        }
        8 => {
            files.push(lfs(rng, "onnx/model.onnx".into(), 438_000_000));
            files.push(lfs(rng, "onnx/model_quantized.onnx".into(), 110_000_000));
        }
        _ => {}
    }

    // Licence file.
    let licence_file = match lic {
        Lic::Id(_, t) if rng.chance(0.5) => Some(t),
        Lic::Other(_) if rng.chance(0.7) => Some(Text::Custom),
        Lic::None if rng.chance(0.2) => Some(*rng.pick(&[Text::Apache, Text::Mit])),
        _ => None,
    };
    if let Some(mut t) = licence_file {
        if rng.chance(0.05) {
            // The LICENSE text disagrees with the card.
            t = *rng.pick(&[Text::Llama3, Text::Apache, Text::CcByNc]);
        }
        let full = rng.chance(0.6);
        let name = *rng.pick(&["LICENSE", "LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE"]);
        files.push(text(name, licence_text(t, full, texts)));
        if t == Text::Apache && rng.chance(0.2) {
            files.push(text(
                "NOTICE",
                "This product includes software developed by ACME.\n",
            ));
        }
        if t == Text::Llama3 || t == Text::Llama31 {
            files.push(text(
                "USE_POLICY.md",
                "# Meta Llama 3 Acceptable Use Policy\n\nMeta is committed to promoting safe and fair use of its tools and features, including Meta Llama 3.\n",
            ));
        }
    }

    // Code.
    if rng.chance(0.15) {
        for p in [
            "train.py",
            "scripts/finetune.sh",
            "scripts/preprocess_data.py",
            "eval/evaluate.py",
            "inference.py",
            "requirements.txt",
        ] {
            if rng.chance(0.6) {
                files.push(plain(p, 4_000));
            }
        }
    }
    if rng.chance(0.08) {
        files.push(plain("modeling_custom.py", 60_000));
        files.push(plain("configuration_custom.py", 9_000));
    }
    if rng.chance(0.05) {
        files.push(text(
            "docs/usage.md",
            "# Usage\n\nRun `python inference.py --prompt hello`.\n",
        ));
    }
    if rng.chance(0.01) {
        files.push(text(
            "mof.yml",
            "release:\n  name: model\n  license:\n    distribution:\n      name: Apache-2.0\n  components:\n    - name: Model architecture\n      license: Apache-2.0\n    - name: Model parameters (Final)\n      license: Apache-2.0\n    - name: Model card\n      license: CC-BY-4.0\n",
        ));
    }

    // Fill up to the target count with what big model repositories hold.
    let filler = rng.below(4);
    let mut k = 0;
    while files.len() < target_files {
        k += 1;
        let f = match filler {
            0 => {
                let step = k / 3 * 500 + 500;
                match k % 3 {
                    0 => lfs(
                        rng,
                        format!("checkpoint-{step}/model.safetensors"),
                        990_000_000,
                    ),
                    1 => lfs(
                        rng,
                        format!("checkpoint-{step}/optimizer.pt"),
                        1_980_000_000,
                    ),
                    _ => plain(format!("checkpoint-{step}/trainer_state.json"), 12_000),
                }
            }
            1 => lfs(rng, format!("samples/sample_{k:04}.png"), 480_000),
            2 => plain(
                format!(
                    "runs/{}/events.out.tfevents.{}.host.{k}",
                    rng.below(50),
                    rng.next() % 1_000_000_000
                ),
                88_000,
            ),
            _ => lfs(rng, format!("quants/model-{k}.Q4_K_M.gguf"), 4_100_000_000),
        };
        files.push(f);
    }

    RepoSnapshot {
        repo_id,
        repo_type: RepoType::Model,
        revision: Some(rng.hex(40)),
        created: Some(format!(
            "2025-{:02}-{:02}T12:00:00Z",
            rng.range(1, 12),
            rng.range(1, 28)
        )),
        files,
        readme: None,
        linked,
    }
}

fn dataset_repo(rng: &mut Rng, i: usize, texts: &Texts) -> RepoSnapshot {
    let org = rng.pick(ORGS);
    let repo_id = format!("{org}/dataset-{i}");
    let lic = *rng.weighted(DATASET_LICENCE_CHOICES);
    let target_files = file_count(rng);
    let mut files = Vec::with_capacity(target_files + 4);
    let mut fm = String::new();
    match lic {
        Lic::Id(id, _) => fm.push_str(&format!("license: {id}\n")),
        Lic::Other(name) => fm.push_str(&format!("license: other\nlicense_name: {name}\n")),
        Lic::Unknown(id) => fm.push_str(&format!("license: {id}\n")),
        Lic::None => {}
    }
    fm.push_str("task_categories:\n- text-generation\nlanguage:\n- en\nsize_categories:\n- 1M<n<10M\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n    path: data/train-*\n");
    let body_size = card_size(rng);
    let body = card_body(rng, body_size, false, false);
    files.push(text("README.md", &format!("---\n{fm}---\n{body}")));
    files.push(plain(".gitattributes", 2_400));
    if let Lic::Id(_, t) = lic
        && rng.chance(0.3)
    {
        files.push(text("LICENSE", licence_text(t, rng.chance(0.5), texts)));
    }
    if rng.chance(0.1) {
        files.push(plain("scripts/build_dataset.py", 7_000));
    }
    let kind = rng.below(3);
    let n = target_files.saturating_sub(files.len()).max(1);
    for k in 0..n {
        let f = match kind {
            0 => lfs(
                rng,
                format!("data/train-{k:05}-of-{n:05}.parquet"),
                250_000_000,
            ),
            1 => lfs(rng, format!("images/{:02}/{k:06}.jpg", k % 100), 120_000),
            _ => lfs(rng, format!("data/shard_{k:04}.jsonl.zst"), 90_000_000),
        };
        files.push(f);
    }
    RepoSnapshot {
        repo_id,
        repo_type: RepoType::Dataset,
        revision: Some(rng.hex(40)),
        created: Some(format!(
            "2025-{:02}-{:02}T12:00:00Z",
            rng.range(1, 12),
            rng.range(1, 28)
        )),
        files,
        readme: None,
        linked: Vec::new(),
    }
}

fn corpus(n: usize, seed: u64) -> Vec<RepoSnapshot> {
    let texts = Texts {
        llama3_full: llama3_full(),
    };
    let mut rng = Rng(seed);
    (0..n)
        .map(|i| {
            if rng.chance(0.7) {
                model_repo(&mut rng, i, &texts)
            } else {
                dataset_repo(&mut rng, i, &texts)
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Measurement.

/// The hub's serialisation of a stored report (`crates/api/src/openness.rs`).
fn hub_json(r: &Report) -> String {
    match serde_json::to_value(r) {
        Ok(v) => v.to_string(),
        Err(e) => panic!("report does not serialise: {e}"),
    }
}

/// FNV-1a, for a digest of the reports (identical reports before and after a change).
fn fnv1a(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325, |h, &x| {
        (h ^ u64::from(x)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// How a report is serialised in a measure.
#[derive(Clone, Copy, PartialEq)]
enum Json {
    /// Not at all.
    No,
    /// As the hub stores it: `to_value`, then `to_string`.
    Hub,
    /// Straight to a string (`serde_json::to_string`), for comparison.
    Direct,
}

/// Grade `snaps` on `threads` threads; returns (wall time, JSON bytes, checksum).
fn run(
    snaps: &[RepoSnapshot],
    cat: &LicenceCatalogue,
    threads: usize,
    json: impl Into<JsonMode>,
) -> (Duration, u64, u64) {
    let json = json.into().0;
    const CHUNK: usize = 64;
    let next = AtomicUsize::new(0);
    let start = Instant::now();
    let totals: Vec<(u64, u64)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut bytes = 0u64;
                    let mut check = 0u64;
                    loop {
                        let i = next.fetch_add(CHUNK, Ordering::Relaxed);
                        if i >= snaps.len() {
                            break;
                        }
                        for snap in &snaps[i..(i + CHUNK).min(snaps.len())] {
                            let r = assess(snap, cat);
                            check = check.wrapping_add(
                                (r.evidence.len() as u64) * 31 + r.grades.bucket.bucket as u64,
                            );
                            let text = match json {
                                Json::No => None,
                                Json::Hub => Some(hub_json(&r)),
                                Json::Direct => serde_json::to_string(&r).ok(),
                            };
                            if let Some(t) = text {
                                bytes += t.len() as u64;
                                check = check.wrapping_add(fnv1a(t.as_bytes()));
                            }
                        }
                    }
                    (bytes, check)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| match h.join() {
                Ok(v) => v,
                Err(_) => panic!("worker panicked"),
            })
            .collect()
    });
    let wall = start.elapsed();
    let bytes = totals.iter().map(|t| t.0).sum();
    let check = totals.iter().fold(0u64, |a, t| a.wrapping_add(t.1));
    (wall, bytes, check)
}

/// CPU time (user + system) of this process so far, from `/proc/self/stat` (Linux; 10 ms
/// ticks). Reports per CPU-second hold up when other processes share the machine.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the `(comm)`: state is field 3; utime and stime are 14 and 15.
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(0.0)
}

/// `true`/`false` (hub JSON or none) or an explicit [`Json`] mode.
struct JsonMode(Json);

impl From<bool> for JsonMode {
    fn from(b: bool) -> Self {
        JsonMode(if b { Json::Hub } else { Json::No })
    }
}

impl From<Json> for JsonMode {
    fn from(j: Json) -> Self {
        JsonMode(j)
    }
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<f64>().ok())
        })
        .map(|kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0))
        .unwrap_or_else(|| "? GiB".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{cpu}, {cores} logical CPUs, {mem} RAM")
}

fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn arg(args: &[String], name: &str) -> Option<usize> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let repos = arg(&args, "--repos").unwrap_or(100_000);
    let sample = arg(&args, "--sample").unwrap_or(20_000).min(repos);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = arg(&args, "--threads").unwrap_or(cores).max(1);
    let seed = arg(&args, "--seed").unwrap_or(5) as u64;
    let json_out = args.iter().any(|a| a == "--json");
    let runs = arg(&args, "--runs").unwrap_or(3).max(1);
    let profile = args.iter().any(|a| a == "--profile-only");

    println!("agora-openness benchmark");
    println!("date:     {}", utc_now());
    println!("machine:  {}", machine());
    println!("corpus:   {repos} repositories, seed {seed}; sample {sample}; {threads} threads");
    if let Ok(l) = std::fs::read_to_string("/proc/loadavg") {
        println!(
            "load:     {} (other processes share the CPUs when this is above 0)",
            l.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
        );
    }

    let t = Instant::now();
    let snaps = corpus(repos, seed);
    let gen_time = t.elapsed();
    let files: usize = snaps.iter().map(|s| s.files.len()).sum();
    let text_bytes: usize = snaps
        .iter()
        .flat_map(|s| s.files.iter())
        .filter_map(|f| f.text.as_ref().map(String::len))
        .sum();
    let models = snaps
        .iter()
        .filter(|s| s.repo_type == RepoType::Model)
        .count();
    let max_files = snaps.iter().map(|s| s.files.len()).max().unwrap_or(0);
    println!(
        "generated in {:.2} s: {models} models, {} datasets, {files} files (mean {:.1}, max {max_files}), {:.1} MB of text read by the assessment",
        gen_time.as_secs_f64(),
        repos - models,
        files as f64 / repos as f64,
        text_bytes as f64 / 1e6
    );

    let t = Instant::now();
    let cat = LicenceCatalogue::builtin();
    let cat_time = t.elapsed();
    println!(
        "catalogue build (LicenceCatalogue::builtin): {:.2} ms",
        cat_time.as_secs_f64() * 1e3
    );

    if profile {
        // For `perf record`: single-threaded assess + JSON over the whole corpus.
        let (d, _, _) = run(&snaps, &cat, 1, true);
        println!("profile pass: {:.2} s", d.as_secs_f64());
        return;
    }

    // Warm-up.
    let _ = run(&snaps[..sample.min(1000)], &cat, threads, true);

    let s = &snaps[..sample];
    // Best of `runs` for each measure (the machine may be shared).
    let best = |threads: usize, json: bool| {
        (0..runs)
            .map(|_| run(s, &cat, threads, json))
            .min_by_key(|r| r.0)
            .unwrap_or_default()
    };
    let (d1, _, c1) = best(1, false);
    let (dn, _, cn) = best(threads, false);
    assert_eq!(c1, cn, "multi-threaded results differ");
    let (d1j, b1, _) = best(1, true);
    let (dnj, _, _) = best(threads, true);
    println!("\n(a) reports per second on the first {sample} repositories (best of {runs})");
    println!(
        "  assess only      1 thread: {:>9.0} reports/s ({:.1} µs/report)",
        rate(sample, d1),
        d1.as_secs_f64() * 1e6 / sample as f64
    );
    println!(
        "  assess only    {threads:>2} threads: {:>9.0} reports/s",
        rate(sample, dn)
    );
    println!(
        "  assess + JSON    1 thread: {:>9.0} reports/s (mean report {:.1} KB)",
        rate(sample, d1j),
        b1 as f64 / sample as f64 / 1e3
    );
    println!(
        "  assess + JSON  {threads:>2} threads: {:>9.0} reports/s",
        rate(sample, dnj)
    );

    let (d1d, _, _) = (0..runs)
        .map(|_| run(s, &cat, 1, Json::Direct))
        .min_by_key(|r| r.0)
        .unwrap_or_default();
    println!(
        "  assess + serde_json::to_string (no Value step), 1 thread: {:>6.0} reports/s",
        rate(sample, d1d)
    );

    // Per size class, single-threaded, assess only.
    let time_class = |label: String, class: Vec<&RepoSnapshot>| {
        if class.is_empty() {
            return;
        }
        let t = Instant::now();
        for r in &class {
            std::hint::black_box(assess(r, &cat));
        }
        let d = t.elapsed();
        println!(
            "    {label:<22} {:>6} repos, {:>8.1} µs/report",
            class.len(),
            d.as_secs_f64() * 1e6 / class.len() as f64
        );
    };
    println!("  by number of files (1 thread, assess only):");
    for (lo, hi) in [(0usize, 20usize), (21, 100), (101, 500), (501, 10_000)] {
        let class = s
            .iter()
            .filter(|r| r.files.len() >= lo && r.files.len() <= hi)
            .collect();
        time_class(format!("{lo}-{hi} files"), class);
    }
    println!("  by card size (1 thread, assess only):");
    let card_len = |r: &RepoSnapshot| r.card_text().map_or(0, str::len);
    for (lo, hi) in [
        (0usize, 1_000usize),
        (1_001, 10_000),
        (10_001, 50_000),
        (50_001, 200_000),
        (200_001, 10_000_000),
    ] {
        let class = s
            .iter()
            .filter(|r| card_len(r) >= lo && card_len(r) <= hi)
            .collect();
        time_class(format!("{}-{} KB card", lo / 1000, hi / 1000), class);
    }

    println!("\n(b) regrade all {repos} repositories (assess + hub JSON), catalogue rebuilt first");
    let t = Instant::now();
    let c = cpu_seconds();
    let cat2 = LicenceCatalogue::builtin();
    let (dn_all, bytes_all, digest) = run(&snaps, &cat2, threads, true);
    let wall_n = t.elapsed();
    let cpu_n = cpu_seconds() - c;
    println!(
        "  {threads:>2} threads: {:.2} s wall ({:.0} reports/s), {cpu_n:.2} CPU s ({:.0} reports per CPU-second), {:.1} MB of report JSON",
        wall_n.as_secs_f64(),
        rate(repos, dn_all),
        repos as f64 / cpu_n.max(1e-9),
        bytes_all as f64 / 1e6
    );
    let t = Instant::now();
    let c = cpu_seconds();
    let cat3 = LicenceCatalogue::builtin();
    let (d1_all, _, digest1) = run(&snaps, &cat3, 1, true);
    assert_eq!(digest, digest1, "single- and multi-threaded reports differ");
    let wall_1 = t.elapsed();
    let cpu_1 = cpu_seconds() - c;
    println!(
        "   1 thread : {:.2} s wall ({:.0} reports/s), {cpu_1:.2} CPU s ({:.0} reports per CPU-second)",
        wall_1.as_secs_f64(),
        rate(repos, d1_all),
        repos as f64 / cpu_1.max(1e-9)
    );
    println!("  digest of the {repos} report JSONs: {digest:016x}");
    println!(
        "  load average after: {}",
        std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    );

    if json_out {
        println!(
            "RESULT {{\"repos\":{repos},\"sample\":{sample},\"threads\":{threads},\"files\":{files},\"gen_s\":{:.3},\"catalogue_ms\":{:.3},\"rps_assess_1\":{:.1},\"rps_assess_n\":{:.1},\"rps_json_1\":{:.1},\"rps_json_n\":{:.1},\"regrade_s_n\":{:.3},\"regrade_s_1\":{:.3},\"regrade_cpu_s_n\":{:.2},\"regrade_cpu_s_1\":{:.2},\"json_mb\":{:.1}}}",
            gen_time.as_secs_f64(),
            cat_time.as_secs_f64() * 1e3,
            rate(sample, d1),
            rate(sample, dn),
            rate(sample, d1j),
            rate(sample, dnj),
            wall_n.as_secs_f64(),
            wall_1.as_secs_f64(),
            cpu_n,
            cpu_1,
            bytes_all as f64 / 1e6
        );
    }
}
