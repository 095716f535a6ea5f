//! The catalogue's data: Hub ids, the Model Openness Tool's open-data list, and the
//! AI-specific licences with their clauses. Facts come from the licence texts as summarised in
//! `shared/research/openness.md` §2.2 and §4.

use super::{Clauses, Licence, LicenceClass, NamingRule};

/// Hub licence ids whose lower-case form is an SPDX id (lower-cased).
pub(super) const HUB_SAME_AS_SPDX: &[&str] = &[
    "apache-2.0",
    "mit",
    "afl-3.0",
    "artistic-2.0",
    "bsl-1.0",
    "bsd-2-clause",
    "bsd-3-clause",
    "bsd-3-clause-clear",
    "cc0-1.0",
    "cc-by-2.0",
    "cc-by-2.5",
    "cc-by-3.0",
    "cc-by-4.0",
    "cc-by-sa-3.0",
    "cc-by-sa-4.0",
    "cc-by-nc-2.0",
    "cc-by-nc-3.0",
    "cc-by-nc-4.0",
    "cc-by-nd-4.0",
    "cc-by-nc-nd-3.0",
    "cc-by-nc-nd-4.0",
    "cc-by-nc-sa-2.0",
    "cc-by-nc-sa-3.0",
    "cc-by-nc-sa-4.0",
    "cdla-sharing-1.0",
    "cdla-permissive-1.0",
    "cdla-permissive-2.0",
    "wtfpl",
    "ecl-2.0",
    "epl-1.0",
    "epl-2.0",
    "etalab-2.0",
    "eupl-1.1",
    "eupl-1.2",
    "isc",
    "lppl-1.3c",
    "ms-pl",
    "mpl-2.0",
    "osl-3.0",
    "postgresql",
    "ofl-1.1",
    "ncsa",
    "unlicense",
    "zlib",
    "openmdw-1.0",
];

/// Hub licence ids that name an SPDX licence under a different id.
pub(super) const HUB_SPDX_IDS: &[(&str, &str)] = &[
    ("agpl-3.0", "AGPL-3.0-only"),
    ("gpl-2.0", "GPL-2.0-only"),
    ("gpl-3.0", "GPL-3.0-only"),
    ("lgpl-2.1", "LGPL-2.1-only"),
    ("lgpl-3.0", "LGPL-3.0-only"),
    ("odc-by", "ODC-By-1.0"),
    ("odbl", "ODbL-1.0"),
    ("pddl", "PDDL-1.0"),
    ("c-uda", "C-UDA-1.0"),
    ("lgpl-lr", "LGPLLR"),
];

/// `license_name` values seen with `license: other`, mapped to catalogue keys.
pub(super) const ALIASES: &[(&str, &str)] = &[
    ("tongyi-qianwen", "qwen"),
    ("tongyi-qianwen-license", "qwen"),
    ("qwen-license", "qwen"),
    ("qwen-research-license", "qwen-research"),
    ("deepseek-license", "deepseek"),
    ("llama-2", "llama2"),
    ("llama-3", "llama3"),
    ("llama-3.1", "llama3.1"),
    ("llama-3.2", "llama3.2"),
    ("llama-3.3", "llama3.3"),
    ("llama-4", "llama4"),
    ("gemma-terms-of-use", "gemma"),
    ("falcon-llm-license", "falcon-180b-tii"),
    ("stabilityai-community", "stability-ai-community"),
    ("stability-community-license", "stability-ai-community"),
    (
        "flux-1-dev-non-commercial-license",
        "flux-1-dev-non-commercial",
    ),
    ("nvidia-open-model-license", "nvidia-open-model"),
    ("databricks-open-model-license", "databricks-open-model"),
    ("tencent-hunyuan-community", "tencent-hunyuan"),
    ("c4ai-cc-by-nc-4.0", "cohere-c4ai"),
    ("grok-2-community", "grok2-community"),
];

/// The Model Openness Tool's open data licences (`LicenseHandler::OPEN_DATA_LICENSES`).
/// `ODC-PDDL-1.0` is not an SPDX id; the SPDX id of that licence is `PDDL-1.0`, listed too.
const MOT_OPEN_DATA: &[&str] = &[
    "CC0-1.0",
    "CC-BY-1.0",
    "CC-BY-2.0",
    "CC-BY-2.5",
    "CC-BY-2.5-AU",
    "CC-BY-3.0",
    "CC-BY-3.0-AT",
    "CC-BY-3.0-AU",
    "CC-BY-3.0-DE",
    "CC-BY-3.0-IGO",
    "CC-BY-3.0-NL",
    "CC-BY-3.0-US",
    "CC-BY-4.0",
    "CC-BY-SA-1.0",
    "CC-BY-SA-2.0",
    "CC-BY-SA-2.0-UK",
    "CC-BY-SA-2.1-JP",
    "CC-BY-SA-2.5",
    "CC-BY-SA-3.0",
    "CC-BY-SA-3.0-AT",
    "CC-BY-SA-4.0",
    "CDLA-Permissive-1.0",
    "CDLA-Permissive-2.0",
    "CDLA-Sharing-1.0",
    "ODC-PDDL-1.0",
    "ODC-By-1.0",
    "ODbL-1.0",
    "GFDL-1.3",
    "OGL-Canada-2.0",
    "OGL-UK-2.0",
    "OGL-UK-3.0",
];

/// Open content licences beyond the MOT list that we class as open content.
const MORE_OPEN_CONTENT: &[&str] = &["PDDL-1.0", "CC-PDDC", "etalab-2.0", "OGL-UK-1.0"];

/// True when `id` (an SPDX id, exact case) is on the Model Openness Tool's open-data list.
pub(crate) fn mot_open_data(id: &str) -> bool {
    MOT_OPEN_DATA.contains(&id)
}

/// Build a catalogue entry from an SPDX list entry, with the clauses its id implies.
pub(super) fn from_spdx(l: &spdx::License) -> Licence {
    let id = l.name;
    let flags = l.flags;
    let osi = flags & spdx::flags::IS_OSI_APPROVED != 0;
    let fsf = flags & spdx::flags::IS_FSF_LIBRE != 0;
    let deprecated = flags & spdx::flags::IS_DEPRECATED != 0;
    let copyleft = flags & spdx::flags::IS_COPYLEFT != 0;
    let open_data = mot_open_data(id);
    let mut clauses = Clauses {
        share_alike: copyleft
            || id.contains("-SA-")
            || id.starts_with("ODbL")
            || id.starts_with("CDLA-Sharing"),
        ..Clauses::default()
    };
    let class = if id.starts_with("OpenMDW") {
        LicenceClass::OpenModel
    } else if id.starts_with("CC-BY-NC") {
        clauses.non_commercial = true;
        clauses.no_derivatives = id.contains("-ND");
        LicenceClass::NonCommercial
    } else if id.starts_with("CC-BY-ND") {
        clauses.no_derivatives = true;
        LicenceClass::NoDerivatives
    } else if id == "C-UDA-1.0" {
        clauses.use_restrictions = true;
        clauses.use_policy = Some("computational use only".into());
        LicenceClass::DataUseAgreement
    } else if osi {
        LicenceClass::OsiApproved
    } else if open_data || MORE_OPEN_CONTENT.contains(&id) {
        LicenceClass::OpenContent
    } else if fsf {
        LicenceClass::FreeSoftware
    } else {
        LicenceClass::OtherListed
    };
    Licence {
        key: id.to_string(),
        name: l.full_name.to_string(),
        spdx_id: Some(id.to_string()),
        hub_id: None,
        class,
        osi_approved: osi,
        fsf_libre: fsf,
        open_data,
        deprecated,
        url: Some(format!("https://spdx.org/licenses/{id}.html")),
        clauses,
        notes: None,
    }
}

fn entry(key: &str, hub: bool, name: &str, class: LicenceClass, url: Option<&str>) -> Licence {
    Licence {
        key: key.to_string(),
        name: name.to_string(),
        spdx_id: None,
        hub_id: hub.then(|| key.to_string()),
        class,
        osi_approved: false,
        fsf_libre: false,
        open_data: false,
        deprecated: false,
        url: url.map(str::to_string),
        clauses: Clauses::default(),
        notes: None,
    }
}

fn with(mut l: Licence, f: impl FnOnce(&mut Clauses)) -> Licence {
    f(&mut l.clauses);
    l
}

fn note(mut l: Licence, n: &str) -> Licence {
    l.notes = Some(n.to_string());
    l
}

fn rail(c: &mut Clauses, policy: &str) {
    c.use_restrictions = true;
    c.use_policy = Some(policy.to_string());
    c.restrictions_flow_down = true;
    c.remote_restriction = true;
}

fn llama(c: &mut Clauses, policy: &str, notice: &str, prefix: Option<&str>, display: Option<&str>) {
    c.use_restrictions = true;
    c.use_policy = Some(policy.to_string());
    c.use_policy_by_reference = true;
    c.restrictions_flow_down = true;
    c.user_cap_mau = Some(700_000_000);
    c.naming.push(NamingRule::Notice {
        text: notice.to_string(),
    });
    if let Some(p) = prefix {
        c.naming.push(NamingRule::NamePrefix {
            prefix: p.to_string(),
        });
    }
    if let Some(d) = display {
        c.naming.push(NamingRule::Display {
            text: d.to_string(),
        });
    }
}

const EU_MULTIMODAL: &str = "European Union: no rights to multimodal models for individuals domiciled or companies based in the EU";

/// The Hub-family ids and the AI-specific licences.
pub(super) fn ai_and_hub_entries() -> Vec<Licence> {
    use LicenceClass::*;
    let mut v = vec![
        // Hub family ids: the licence is only known from the LICENSE file.
        entry("bsd", true, "BSD license family", Family, None),
        entry(
            "gpl",
            true,
            "GNU General Public License family",
            Family,
            None,
        ),
        entry(
            "lgpl",
            true,
            "GNU Lesser General Public License family",
            Family,
            None,
        ),
        entry(
            "gfdl",
            true,
            "GNU Free Documentation License family",
            Family,
            None,
        ),
        entry("cc", true, "Creative Commons license family", Family, None),
        // The RAIL family.
        with(
            entry(
                "openrail",
                true,
                "OpenRAIL license family",
                ResponsibleAi,
                None,
            ),
            |c| rail(c, "use-based restrictions of the specific OpenRAIL licence"),
        ),
        with(
            entry(
                "creativeml-openrail-m",
                true,
                "CreativeML OpenRAIL-M",
                ResponsibleAi,
                Some("https://huggingface.co/spaces/CompVis/stable-diffusion-license"),
            ),
            |c| rail(c, "Attachment A (paragraph 5)"),
        ),
        with(
            entry(
                "openrail++",
                true,
                "CreativeML Open RAIL++-M",
                ResponsibleAi,
                None,
            ),
            |c| rail(c, "Attachment A (paragraph 5)"),
        ),
        with(
            entry(
                "bigscience-bloom-rail-1.0",
                true,
                "BigScience BLOOM RAIL 1.0",
                ResponsibleAi,
                Some("https://huggingface.co/spaces/bigscience/license"),
            ),
            |c| rail(c, "Attachment A (paragraph 5)"),
        ),
        with(
            entry(
                "bigscience-openrail-m",
                true,
                "BigScience OpenRAIL-M",
                ResponsibleAi,
                None,
            ),
            |c| rail(c, "Attachment A (paragraph 5)"),
        ),
        with(
            entry(
                "bigcode-openrail-m",
                true,
                "BigCode Open RAIL-M v1",
                ResponsibleAi,
                Some("https://www.bigcode-project.org/docs/pages/bigcode-openrail/"),
            ),
            |c| rail(c, "Attachment A (paragraph 5)"),
        ),
        // Llama.
        note(
            with(
                entry(
                    "llama2",
                    true,
                    "Llama 2 Community License Agreement",
                    CommunityModel,
                    Some("https://ai.meta.com/llama/license/"),
                ),
                |c| {
                    llama(
                        c,
                        "Llama 2 Acceptable Use Policy",
                        "Llama 2 is licensed under the LLAMA 2 Community License, Copyright (c) Meta Platforms, Inc. All Rights Reserved.",
                        None,
                        None,
                    );
                    c.no_training_other_models = true;
                },
            ),
            "1.b.v: no use of Llama materials or outputs to improve any other large language model",
        ),
        with(
            entry(
                "llama3",
                true,
                "Meta Llama 3 Community License Agreement",
                CommunityModel,
                Some("https://llama.meta.com/llama3/license/"),
            ),
            |c| {
                llama(
                    c,
                    "Meta Llama 3 Acceptable Use Policy",
                    "Meta Llama 3 is licensed under the Meta Llama 3 Community License, Copyright © Meta Platforms, Inc. All Rights Reserved.",
                    Some("Llama 3"),
                    Some("Built with Meta Llama 3"),
                );
                c.no_training_other_models = true;
            },
        ),
        with(
            entry(
                "llama3.1",
                true,
                "Llama 3.1 Community License Agreement",
                CommunityModel,
                Some("https://llama.meta.com/llama3_1/license/"),
            ),
            |c| {
                llama(
                    c,
                    "Llama 3.1 Acceptable Use Policy",
                    "Llama 3.1 is licensed under the Llama 3.1 Community License, Copyright © Meta Platforms, Inc. All Rights Reserved.",
                    Some("Llama"),
                    Some("Built with Llama"),
                );
                c.outputs_make_derivatives = true;
            },
        ),
        with(
            entry(
                "llama3.2",
                true,
                "Llama 3.2 Community License Agreement",
                CommunityModel,
                Some("https://www.llama.com/llama3_2/license/"),
            ),
            |c| {
                llama(
                    c,
                    "Llama 3.2 Acceptable Use Policy",
                    "Llama 3.2 is licensed under the Llama 3.2 Community License, Copyright © Meta Platforms, Inc. All Rights Reserved.",
                    Some("Llama"),
                    Some("Built with Llama"),
                );
                c.outputs_make_derivatives = true;
                c.excluded_regions.push(EU_MULTIMODAL.into());
            },
        ),
        with(
            entry(
                "llama3.3",
                true,
                "Llama 3.3 Community License Agreement",
                CommunityModel,
                Some("https://www.llama.com/llama3_3/license/"),
            ),
            |c| {
                llama(
                    c,
                    "Llama 3.3 Acceptable Use Policy",
                    "Llama 3.3 is licensed under the Llama 3.3 Community License, Copyright © Meta Platforms, Inc. All Rights Reserved.",
                    Some("Llama"),
                    Some("Built with Llama"),
                );
                c.outputs_make_derivatives = true;
            },
        ),
        with(
            entry(
                "llama4",
                true,
                "Llama 4 Community License Agreement",
                CommunityModel,
                Some("https://www.llama.com/llama4/license/"),
            ),
            |c| {
                llama(
                    c,
                    "Llama 4 Acceptable Use Policy",
                    "Llama 4 is licensed under the Llama 4 Community License, Copyright © Meta Platforms, Inc. All Rights Reserved.",
                    Some("Llama"),
                    Some("Built with Llama"),
                );
                c.outputs_make_derivatives = true;
                c.excluded_regions.push(EU_MULTIMODAL.into());
            },
        ),
        // Gemma.
        note(
            with(
                entry(
                    "gemma",
                    true,
                    "Gemma Terms of Use",
                    CommunityModel,
                    Some("https://ai.google.dev/gemma/terms"),
                ),
                |c| {
                    c.use_restrictions = true;
                    c.use_policy = Some("Gemma Prohibited Use Policy".into());
                    c.use_policy_by_reference = true;
                    c.restrictions_flow_down = true;
                    c.remote_restriction = true;
                    c.revocable = true;
                    c.outputs_make_derivatives = true;
                    c.naming.push(NamingRule::Notice {
                        text: "Gemma is provided under and subject to the Gemma Terms of Use found at ai.google.dev/gemma/terms".into(),
                    });
                },
            ),
            "Model Derivatives include models trained by distillation or on synthetic data from Gemma; hosted services count as distribution",
        ),
        note(
            with(
                entry(
                    "grok2-community",
                    true,
                    "Grok 2 Community License Agreement",
                    CommunityModel,
                    None,
                ),
                |c| {
                    c.use_restrictions = true;
                    c.use_policy = Some("xAI Acceptable Use Policy".into());
                    c.use_policy_by_reference = true;
                    c.restrictions_flow_down = true;
                },
            ),
            "custom vendor licence; read the text for caps and training limits",
        ),
        // Research and non-commercial.
        with(
            entry(
                "deepfloyd-if-license",
                true,
                "DeepFloyd IF Research License Agreement",
                ResearchOnly,
                None,
            ),
            |c| {
                c.research_only = true;
                c.non_commercial = true;
            },
        ),
        with(
            entry(
                "fair-noncommercial-research-license",
                true,
                "FAIR Noncommercial Research License",
                ResearchOnly,
                None,
            ),
            |c| {
                c.research_only = true;
                c.non_commercial = true;
            },
        ),
        with(
            entry(
                "apple-amlr",
                true,
                "Apple Model License for Research",
                ResearchOnly,
                None,
            ),
            |c| {
                c.research_only = true;
                c.non_commercial = true;
            },
        ),
        with(
            entry("h-research", true, "H Research License", ResearchOnly, None),
            |c| {
                c.research_only = true;
                c.non_commercial = true;
            },
        ),
        with(
            entry(
                "intel-research",
                true,
                "Intel Research Use License",
                ResearchOnly,
                None,
            ),
            |c| {
                c.research_only = true;
                c.non_commercial = true;
            },
        ),
        note(
            with(
                entry(
                    "apple-ascl",
                    true,
                    "Apple Sample Code License",
                    OtherListed,
                    None,
                ),
                |c| c.no_patent_grant = true,
            ),
            "permissive copyright grant, not OSI-approved; no patent rights and no use of Apple marks",
        ),
        // Open model licence off the SPDX list.
        entry(
            "openmdw-1.1",
            true,
            "Open Model, Data & Weights License Agreement 1.1",
            OpenModel,
            None,
        ),
        // Vendor licences that arrive as `license: other` + `license_name`.
        note(
            with(
                entry(
                    "qwen",
                    false,
                    "Tongyi Qianwen License Agreement",
                    CommunityModel,
                    None,
                ),
                |c| {
                    c.user_cap_mau = Some(100_000_000);
                    c.naming.push(NamingRule::Display {
                        text: "Built with Qwen".into(),
                    });
                },
            ),
            "versions of the Qwen licence differ; read the text shipped with the model",
        ),
        with(
            entry(
                "qwen-research",
                false,
                "Qwen Research License Agreement",
                ResearchOnly,
                None,
            ),
            |c| {
                c.research_only = true;
                c.non_commercial = true;
            },
        ),
        with(
            entry(
                "deepseek",
                false,
                "DeepSeek License Agreement",
                CommunityModel,
                None,
            ),
            |c| rail(c, "Attachment A (use-based restrictions)"),
        ),
        with(
            entry(
                "falcon-180b-tii",
                false,
                "Falcon-180B TII License",
                CommunityModel,
                None,
            ),
            |c| {
                c.use_restrictions = true;
                c.use_policy = Some("Falcon Acceptable Use Policy".into());
                c.use_policy_by_reference = true;
                c.restrictions_flow_down = true;
            },
        ),
        with(
            entry(
                "stability-ai-community",
                false,
                "Stability AI Community License Agreement",
                CommunityModel,
                None,
            ),
            |c| {
                c.use_restrictions = true;
                c.use_policy = Some("Stability AI Acceptable Use Policy".into());
                c.use_policy_by_reference = true;
                c.revenue_cap_usd = Some(1_000_000);
            },
        ),
        with(
            entry(
                "flux-1-dev-non-commercial",
                false,
                "FLUX.1 [dev] Non-Commercial License",
                NonCommercial,
                None,
            ),
            |c| {
                c.non_commercial = true;
                c.use_restrictions = true;
                c.restrictions_flow_down = true;
            },
        ),
        note(
            entry(
                "nvidia-open-model",
                false,
                "NVIDIA Open Model License Agreement",
                CommunityModel,
                None,
            ),
            "commercial use allowed; rights end if technical guardrails are bypassed",
        ),
        with(
            entry(
                "databricks-open-model",
                false,
                "Databricks Open Model License",
                CommunityModel,
                None,
            ),
            |c| {
                c.use_restrictions = true;
                c.use_policy = Some("Databricks Open Model Acceptable Use Policy".into());
                c.use_policy_by_reference = true;
                c.restrictions_flow_down = true;
                c.user_cap_mau = Some(700_000_000);
                c.no_training_other_models = true;
            },
        ),
        with(
            entry(
                "tencent-hunyuan",
                false,
                "Tencent Hunyuan Community License Agreement",
                CommunityModel,
                None,
            ),
            |c| {
                c.use_restrictions = true;
                c.use_policy = Some("Tencent Hunyuan Acceptable Use Policy".into());
                c.restrictions_flow_down = true;
                c.user_cap_mau = Some(100_000_000);
                c.excluded_regions.push(
                    "European Union, United Kingdom and South Korea are outside the territory"
                        .into(),
                );
            },
        ),
        with(
            entry(
                "cohere-c4ai",
                false,
                "CC-BY-NC-4.0 with the C4AI Acceptable Use Policy",
                NonCommercial,
                None,
            ),
            |c| {
                c.non_commercial = true;
                c.use_restrictions = true;
                c.use_policy = Some("C4AI Acceptable Use Policy".into());
            },
        ),
    ];
    for l in &mut v {
        // Licences on this list are none of them OSI-approved or FSF-free, except OpenMDW,
        // which the MOT counts as open.
        l.osi_approved = false;
        l.fsf_libre = false;
    }
    v
}
