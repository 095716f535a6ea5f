//! Shared builders for repository fixtures.
#![allow(dead_code)]

use agora_openness::{FileEntry, LicenceCatalogue, LinkedRepo, RepoSnapshot, RepoType, Report};

/// Opening lines of licence texts, enough for recognition (not the full texts).
pub const APACHE_2_TEXT: &str = "\n                                 Apache License\n                           Version 2.0, January 2004\n                        http://www.apache.org/licenses/\n\n   TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION\n\n   1. Definitions.\n";
pub const MIT_TEXT: &str = "MIT License\n\nCopyright (c) 2024 Example\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\nof this software and associated documentation files (the \"Software\"), to deal\nin the Software without restriction...\n\nThe above copyright notice and this permission notice shall be included in all\ncopies or substantial portions of the Software.\n";
pub const LLAMA3_TEXT: &str = "META LLAMA 3 COMMUNITY LICENSE AGREEMENT\nMeta Llama 3 Version Release Date: April 18, 2024\n\"Agreement\" means the terms and conditions for use, reproduction, distribution and modification of the Llama Materials set forth herein.\n";
pub const LLAMA31_TEXT: &str =
    "LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\nLlama 3.1 Version Release Date: July 23, 2024\n";
pub const GEMMA_TEXT: &str = "Gemma Terms of Use\n\nLast modified: February 21, 2024\n\nBy using, reproducing, modifying, distributing, performing or displaying any portion or element of Gemma...\n";
pub const LGPL3_TEXT: &str = "                   GNU LESSER GENERAL PUBLIC LICENSE\n                       Version 3, 29 June 2007\n\n This version of the GNU Lesser General Public License incorporates\nthe terms and conditions of version 3 of the GNU General Public\nLicense, supplemented by the additional permissions listed below.\n";
pub const GPL3_TEXT: &str = "                    GNU GENERAL PUBLIC LICENSE\n                       Version 3, 29 June 2007\n\n Copyright (C) 2007 Free Software Foundation, Inc.\n";
pub const RAIL_M_TEXT: &str =
    "CreativeML Open RAIL-M\ndated August 22, 2022\n\nSection I: PRELIMINARY CONSIDERATIONS\n";

/// A repository fixture under construction.
pub struct Repo {
    snap: RepoSnapshot,
}

impl Repo {
    pub fn model(id: &str) -> Self {
        Self::new(id, RepoType::Model)
    }
    pub fn dataset(id: &str) -> Self {
        Self::new(id, RepoType::Dataset)
    }
    fn new(id: &str, t: RepoType) -> Self {
        Repo {
            snap: RepoSnapshot {
                repo_id: id.into(),
                repo_type: t,
                revision: Some("0123456789abcdef0123456789abcdef01234567".into()),
                created: Some("2024-02-01T00:00:00Z".into()),
                ..Default::default()
            },
        }
    }
    /// The card: YAML metadata and a Markdown body.
    pub fn card(mut self, yaml: &str, body: &str) -> Self {
        self.snap.readme = Some(format!("---\n{yaml}\n---\n{body}"));
        self
    }
    /// A raw README.
    pub fn readme(mut self, text: &str) -> Self {
        self.snap.readme = Some(text.into());
        self
    }
    /// A binary file.
    pub fn file(mut self, path: &str, size: u64) -> Self {
        self.snap.files.push(FileEntry {
            path: path.into(),
            size,
            text: None,
            sha256: Some(format!("{:064x}", path.len() as u64 * 7919 + size)),
        });
        self
    }
    /// Several code or data files.
    pub fn files(mut self, paths: &[&str]) -> Self {
        for p in paths {
            self = self.file(p, 1000);
        }
        self
    }
    /// A text file.
    pub fn text(mut self, path: &str, text: &str) -> Self {
        self.snap.files.push(FileEntry {
            path: path.into(),
            size: text.len() as u64,
            text: Some(text.into()),
            sha256: None,
        });
        self
    }
    /// What the hub knows of a linked repository.
    pub fn linked(mut self, id: &str, licence: &str) -> Self {
        self.snap.linked.push(LinkedRepo {
            id: id.into(),
            repo_type: RepoType::Dataset,
            license: Some(licence.into()),
        });
        self
    }
    pub fn build(self) -> RepoSnapshot {
        self.snap
    }
    pub fn assess(self) -> Report {
        agora_openness::assess(&self.snap, &catalogue())
    }
}

pub fn catalogue() -> LicenceCatalogue {
    LicenceCatalogue::builtin()
}

/// Model weights, config and tokenizer as `transformers` ships them.
pub fn hf_model_files(repo: Repo) -> Repo {
    repo.file("model-00001-of-00002.safetensors", 4_000_000_000)
        .file("model-00002-of-00002.safetensors", 3_000_000_000)
        .text(
            "config.json",
            r#"{"architectures": ["LlamaForCausalLM"], "model_type": "llama"}"#,
        )
        .text("generation_config.json", "{}")
        .file("tokenizer.json", 9_000_000)
        .text("tokenizer_config.json", "{}")
}
