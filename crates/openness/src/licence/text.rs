//! Recognising a licence from the text of a LICENSE file.
//!
//! The text is normalised (lower case, every run of characters other than letters, digits and
//! `+` becomes one space) and each known licence has key phrases that must all appear. When
//! several licences match, the one whose matched phrases are longest wins, so the GNU *Lesser*
//! licence beats the GNU General Public License its text mentions.

use serde::Serialize;

/// Only the first this-many bytes of a licence file are read.
pub const MAX_LICENCE_TEXT: usize = 512 * 1024;

/// A licence recognised from text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TextMatch {
    /// Catalogue key (SPDX id or our id) of the recognised licence.
    pub key: String,
    /// The phrases found, normalised.
    pub phrases: Vec<String>,
}

pub(super) struct Signature {
    key: &'static str,
    all: &'static [&'static str],
    none: &'static [&'static str],
}

const fn sig(
    key: &'static str,
    all: &'static [&'static str],
    none: &'static [&'static str],
) -> Signature {
    Signature { key, all, none }
}

/// Normalise licence text for phrase matching.
pub fn normalise_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_LICENCE_TEXT));
    let mut space = true;
    let mut end = text.len().min(MAX_LICENCE_TEXT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    for c in text[..end].chars() {
        if c.is_alphanumeric() || c == '+' {
            for l in c.to_lowercase() {
                out.push(l);
            }
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

pub(super) fn signatures() -> Vec<Signature> {
    vec![
        sig(
            "Apache-2.0",
            &[
                "apache license",
                "version 2 0",
                "terms and conditions for use reproduction and distribution",
            ],
            &[],
        ),
        sig(
            "MIT",
            &[
                "permission is hereby granted free of charge to any person obtaining a copy",
                "the above copyright notice and this permission notice shall be included",
            ],
            &[],
        ),
        sig(
            "BSD-2-Clause",
            &[
                "redistribution and use in source and binary forms with or without modification are permitted",
            ],
            &["neither the name", "advertising materials"],
        ),
        sig(
            "BSD-3-Clause",
            &[
                "redistribution and use in source and binary forms with or without modification are permitted",
                "neither the name of",
            ],
            &["advertising materials"],
        ),
        sig(
            "BSD-3-Clause-Clear",
            &[
                "redistribution and use in source and binary forms with or without modification are permitted",
                "no express or implied licenses to any party s patent rights are granted by this license",
            ],
            &[],
        ),
        sig(
            "ISC",
            &[
                "permission to use copy modify and or distribute this software for any purpose with or without fee is hereby granted",
            ],
            &[],
        ),
        sig(
            "GPL-2.0-only",
            &["gnu general public license", "version 2 june 1991"],
            &[],
        ),
        sig(
            "GPL-3.0-only",
            &["gnu general public license", "version 3 29 june 2007"],
            &[],
        ),
        sig(
            "LGPL-2.1-only",
            &[
                "gnu lesser general public license",
                "version 2 1 february 1999",
            ],
            &[],
        ),
        sig(
            "LGPL-3.0-only",
            &[
                "gnu lesser general public license",
                "version 3 29 june 2007",
            ],
            &[],
        ),
        sig(
            "AGPL-3.0-only",
            &[
                "gnu affero general public license",
                "version 3 19 november 2007",
            ],
            &[],
        ),
        sig("MPL-2.0", &["mozilla public license version 2 0"], &[]),
        sig(
            "Unlicense",
            &["this is free and unencumbered software released into the public domain"],
            &[],
        ),
        sig("CC0-1.0", &["cc0 1 0 universal"], &[]),
        sig(
            "CC-BY-4.0",
            &["creative commons attribution 4 0 international public license"],
            &[],
        ),
        sig(
            "CC-BY-SA-4.0",
            &["creative commons attribution sharealike 4 0 international public license"],
            &[],
        ),
        sig(
            "CC-BY-NC-4.0",
            &["creative commons attribution noncommercial 4 0 international public license"],
            &[],
        ),
        sig(
            "CC-BY-NC-SA-4.0",
            &[
                "creative commons attribution noncommercial sharealike 4 0 international public license",
            ],
            &[],
        ),
        sig(
            "CC-BY-NC-ND-4.0",
            &[
                "creative commons attribution noncommercial noderivatives 4 0 international public license",
            ],
            &[],
        ),
        sig(
            "CC-BY-ND-4.0",
            &["creative commons attribution noderivatives 4 0 international public license"],
            &[],
        ),
        sig("OpenMDW-1.0", &["openmdw"], &["version 1 1", "openmdw 1 1"]),
        sig(
            "openmdw-1.1",
            &["openmdw", "1 1"],
            &["version 1 0", "openmdw 1 0"],
        ),
        sig("llama2", &["llama 2 community license agreement"], &[]),
        sig("llama3", &["meta llama 3 community license agreement"], &[]),
        sig("llama3.1", &["llama 3 1 community license agreement"], &[]),
        sig("llama3.2", &["llama 3 2 community license agreement"], &[]),
        sig("llama3.3", &["llama 3 3 community license agreement"], &[]),
        sig("llama4", &["llama 4 community license agreement"], &[]),
        sig("gemma", &["gemma terms of use"], &[]),
        sig("creativeml-openrail-m", &["creativeml open rail m"], &[]),
        sig("openrail++", &["open rail++ m"], &[]),
        sig(
            "bigscience-bloom-rail-1.0",
            &["bigscience rail license"],
            &[],
        ),
        sig("bigscience-openrail-m", &["bigscience open rail m"], &[]),
        sig("bigcode-openrail-m", &["bigcode open rail m"], &[]),
        sig(
            "openrail",
            &["responsible ai license", "use based restrictions"],
            &[],
        ),
        sig(
            "deepfloyd-if-license",
            &["deepfloyd if research license agreement"],
            &[],
        ),
        sig(
            "fair-noncommercial-research-license",
            &["fair noncommercial research license"],
            &[],
        ),
        sig(
            "apple-ascl",
            &["this apple software is supplied to you by apple"],
            &[],
        ),
        sig(
            "grok2-community",
            &["grok 2 community license agreement"],
            &[],
        ),
        sig("qwen", &["tongyi qianwen license agreement"], &[]),
        sig("qwen-research", &["qwen research license agreement"], &[]),
        sig("deepseek", &["deepseek license agreement"], &[]),
        sig("falcon-180b-tii", &["falcon 180b tii license"], &[]),
        sig(
            "stability-ai-community",
            &["stability ai community license agreement"],
            &[],
        ),
        sig(
            "flux-1-dev-non-commercial",
            &["flux 1 dev non commercial license"],
            &[],
        ),
        sig("nvidia-open-model", &["nvidia open model license"], &[]),
        sig(
            "databricks-open-model",
            &["databricks open model license"],
            &[],
        ),
        sig(
            "tencent-hunyuan",
            &["tencent hunyuan community license agreement"],
            &[],
        ),
    ]
}

pub(super) fn recognise(signatures: &[Signature], text: &str) -> Option<TextMatch> {
    let norm = normalise_text(text);
    // Pad so phrases match on word boundaries.
    let hay = format!(" {norm} ");
    let has = |p: &str| hay.contains(&format!(" {p} "));
    let mut best: Option<(usize, &Signature)> = None;
    for s in signatures {
        if s.all.iter().all(|p| has(p)) && !s.none.iter().any(|p| has(p)) {
            let score: usize = s.all.iter().map(|p| p.len()).sum();
            if best.is_none_or(|(b, _)| score > b) {
                best = Some((score, s));
            }
        }
    }
    best.map(|(_, s)| TextMatch {
        key: s.key.to_string(),
        phrases: s.all.iter().map(|p| p.to_string()).collect(),
    })
}
