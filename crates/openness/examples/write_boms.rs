//! Writes CycloneDX and SPDX BOMs of a few repository fixtures into a directory, for
//! validation against the official JSON schemas by `tests/validate_boms.py`.
//!
//! `cargo run -p agora-openness --example write_boms -- OUT_DIR`

use agora_openness::bom::{BomOptions, cyclonedx, spdx3};
use agora_openness::{FileEntry, LicenceCatalogue, LinkedRepo, RepoSnapshot, RepoType};

fn snap(id: &str, t: RepoType, card: &str, files: &[&str]) -> RepoSnapshot {
    RepoSnapshot {
        repo_id: id.into(),
        repo_type: t,
        revision: Some("0123456789abcdef0123456789abcdef01234567".into()),
        created: Some("2024-02-01T00:00:00Z".into()),
        readme: Some(card.into()),
        files: files
            .iter()
            .map(|p| FileEntry {
                path: p.to_string(),
                size: 1000,
                text: None,
                sha256: Some("ab".repeat(32)),
            })
            .collect(),
        linked: vec![LinkedRepo {
            id: "allenai/dolma".into(),
            repo_type: RepoType::Dataset,
            license: Some("odc-by".into()),
        }],
    }
}

fn main() -> std::io::Result<()> {
    let out = std::env::args().nth(1).unwrap_or_else(|| "boms".into());
    std::fs::create_dir_all(&out)?;
    let cat = LicenceCatalogue::builtin();
    let cases = [
        snap(
            "allenai/OLMo-7B-Instruct",
            RepoType::Model,
            "---\nlicense: apache-2.0\ndatasets: [allenai/dolma]\nbase_model: allenai/OLMo-7B\nbase_model_relation: finetune\npipeline_tag: text-generation\nmodel-index:\n- name: m\n  results:\n  - dataset: {type: cais/mmlu, name: MMLU}\n    metrics:\n    - {type: accuracy, value: 52.1}\n---\n# OLMo\n## Limitations\nSome.\n",
            &["model.safetensors"],
        ),
        snap(
            "meta-llama/Llama-3.1-8B",
            RepoType::Model,
            "---\nlicense: llama3.1\ngated: manual\n---\n# Llama\n",
            &[
                "model-00001-of-00002.safetensors",
                "model-00002-of-00002.safetensors",
            ],
        ),
        snap(
            "allenai/c4",
            RepoType::Dataset,
            "---\nlicense: odc-by\ntask_categories: [text-generation]\n---\n# C4\n",
            &["data/train.parquet"],
        ),
    ];
    let opts = BomOptions {
        base_url: Some("https://hub.example".into()),
        ..BomOptions::default()
    };
    for (i, s) in cases.iter().enumerate() {
        let r = agora_openness::assess(s, &cat);
        let cdx = serde_json::to_string_pretty(&cyclonedx(s, &r, &opts))
            .map_err(std::io::Error::other)?;
        std::fs::write(format!("{out}/case{i}.cdx.json"), cdx)?;
        let spdx =
            serde_json::to_string_pretty(&spdx3(s, &r, &opts)).map_err(std::io::Error::other)?;
        std::fs::write(format!("{out}/case{i}.spdx.json"), spdx)?;
    }
    Ok(())
}
