//! The licence catalogue: SPDX ids, Hub ids, AI licences with their clauses, LICENSE texts.

mod common;

use agora_openness::licence::{LicenceClass, NamingRule};
use common::*;

/// Every licence id the Hub accepts (hub-docs `repositories-licenses.md`).
const HUB_IDS: &[&str] = &[
    "apache-2.0",
    "mit",
    "openrail",
    "bigscience-openrail-m",
    "creativeml-openrail-m",
    "bigscience-bloom-rail-1.0",
    "bigcode-openrail-m",
    "afl-3.0",
    "artistic-2.0",
    "bsl-1.0",
    "bsd",
    "bsd-2-clause",
    "bsd-3-clause",
    "bsd-3-clause-clear",
    "c-uda",
    "cc",
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
    "agpl-3.0",
    "gfdl",
    "gpl",
    "gpl-2.0",
    "gpl-3.0",
    "lgpl",
    "lgpl-2.1",
    "lgpl-3.0",
    "isc",
    "h-research",
    "intel-research",
    "lppl-1.3c",
    "ms-pl",
    "apple-ascl",
    "apple-amlr",
    "mpl-2.0",
    "odc-by",
    "odbl",
    "openmdw-1.0",
    "openmdw-1.1",
    "openrail++",
    "osl-3.0",
    "postgresql",
    "ofl-1.1",
    "ncsa",
    "unlicense",
    "zlib",
    "pddl",
    "lgpl-lr",
    "deepfloyd-if-license",
    "fair-noncommercial-research-license",
    "llama2",
    "llama3",
    "llama3.1",
    "llama3.2",
    "llama3.3",
    "llama4",
    "grok2-community",
    "gemma",
];

#[test]
fn every_hub_licence_id_resolves() {
    let cat = catalogue();
    for id in HUB_IDS {
        let l = cat
            .resolve(id)
            .unwrap_or_else(|| panic!("{id} does not resolve"));
        assert!(cat.is_hub_id(id), "{id} not known as a Hub id");
        assert!(l.hub_id.is_some(), "{id} resolved without its Hub id");
    }
    assert!(cat.is_hub_id("other") && cat.is_hub_id("unknown"));
}

#[test]
fn hub_ids_map_to_exact_spdx_ids_never_by_prefix() {
    let cat = catalogue();
    let spdx = |id: &str| cat.resolve(id).and_then(|l| l.spdx_id);
    assert_eq!(spdx("bsd-3-clause").as_deref(), Some("BSD-3-Clause"));
    assert_eq!(spdx("bsd-2-clause").as_deref(), Some("BSD-2-Clause"));
    assert_eq!(spdx("gpl-3.0").as_deref(), Some("GPL-3.0-only"));
    assert_eq!(spdx("odbl").as_deref(), Some("ODbL-1.0"));
    assert_eq!(spdx("APACHE-2.0").as_deref(), Some("Apache-2.0"));
    // The family id is not silently some BSD licence.
    let bsd = cat.resolve("bsd").expect("family");
    assert_eq!(bsd.class, LicenceClass::Family);
    assert!(bsd.spdx_id.is_none());
    // Prefixes and near misses resolve to nothing.
    assert!(cat.resolve("bsd-3").is_none());
    assert!(cat.resolve("apache").is_none());
    assert!(cat.resolve("llama").is_none());
}

#[test]
fn every_spdx_licence_resolves_case_insensitively() {
    let cat = catalogue();
    // The Hub's `gpl-3.0` etc. mean the "-only" licences, which is also what SPDX's
    // deprecated bare ids mean.
    let hub_meaning = ["GPL-2.0", "GPL-3.0", "LGPL-2.1", "LGPL-3.0", "AGPL-3.0"];
    for l in spdx::identifiers::LICENSES {
        let r = cat.resolve(&l.name.to_ascii_lowercase()).expect("spdx id");
        if hub_meaning.contains(&l.name) {
            assert_eq!(r.key, format!("{}-only", l.name));
            continue;
        }
        assert_eq!(r.key, l.name);
        assert_eq!(r.osi_approved, l.flags & spdx::flags::IS_OSI_APPROVED != 0);
    }
}

#[test]
fn open_licences_are_open_and_restrictive_ones_are_not() {
    let cat = catalogue();
    for id in [
        "apache-2.0",
        "mit",
        "bsd-3-clause",
        "gpl-3.0",
        "cc-by-4.0",
        "cc0-1.0",
        "openmdw-1.0",
        "cdla-permissive-2.0",
    ] {
        assert!(cat.resolve(id).expect(id).is_open(), "{id} should be open");
    }
    for id in [
        "llama2",
        "llama3.1",
        "gemma",
        "creativeml-openrail-m",
        "bigscience-bloom-rail-1.0",
        "cc-by-nc-4.0",
        "cc-by-nd-4.0",
        "deepfloyd-if-license",
        "apple-amlr",
        "c-uda",
    ] {
        assert!(
            !cat.resolve(id).expect(id).is_open(),
            "{id} should not be open"
        );
    }
}

#[test]
fn llama_licences_carry_their_clauses() {
    let cat = catalogue();
    let l2 = cat.resolve("llama2").expect("llama2");
    assert_eq!(l2.clauses.user_cap_mau, Some(700_000_000));
    assert!(l2.clauses.no_training_other_models);
    assert!(
        l2.clauses.use_restrictions
            && l2.clauses.use_policy_by_reference
            && l2.clauses.restrictions_flow_down
    );
    let l3 = cat.resolve("llama3").expect("llama3");
    assert!(l3.clauses.naming.contains(&NamingRule::NamePrefix {
        prefix: "Llama 3".into()
    }));
    assert!(l3.clauses.naming.contains(&NamingRule::Display {
        text: "Built with Meta Llama 3".into()
    }));
    let l31 = cat.resolve("llama3.1").expect("llama3.1");
    assert!(
        !l31.clauses.no_training_other_models,
        "3.1 dropped the clause"
    );
    assert!(l31.clauses.naming.contains(&NamingRule::NamePrefix {
        prefix: "Llama".into()
    }));
    for multimodal in ["llama3.2", "llama4"] {
        assert!(
            !cat.resolve(multimodal)
                .expect(multimodal)
                .clauses
                .excluded_regions
                .is_empty(),
            "{multimodal} EU clause"
        );
    }
    assert!(
        cat.resolve("llama3.3")
            .expect("3.3")
            .clauses
            .excluded_regions
            .is_empty()
    );
}

#[test]
fn rail_and_gemma_restrictions_flow_down_and_allow_remote_restriction() {
    let cat = catalogue();
    for id in [
        "openrail",
        "creativeml-openrail-m",
        "openrail++",
        "bigscience-bloom-rail-1.0",
        "bigscience-openrail-m",
        "bigcode-openrail-m",
        "gemma",
    ] {
        let c = cat.resolve(id).expect(id).clauses;
        assert!(
            c.use_restrictions && c.restrictions_flow_down && c.remote_restriction,
            "{id}"
        );
        assert!(!c.non_commercial, "{id} allows commercial use");
    }
    assert!(
        cat.resolve("gemma")
            .expect("gemma")
            .clauses
            .outputs_make_derivatives
    );
}

#[test]
fn creative_commons_nc_and_nd_are_typed() {
    let cat = catalogue();
    let nc = cat.resolve("cc-by-nc-sa-4.0").expect("nc");
    assert!(nc.clauses.non_commercial && nc.clauses.share_alike && !nc.clauses.no_derivatives);
    assert_eq!(nc.class, LicenceClass::NonCommercial);
    let nd = cat.resolve("cc-by-nd-4.0").expect("nd");
    assert!(nd.clauses.no_derivatives && !nd.clauses.non_commercial);
    let ncnd = cat.resolve("cc-by-nc-nd-4.0").expect("ncnd");
    assert!(ncnd.clauses.no_derivatives && ncnd.clauses.non_commercial);
}

#[test]
fn research_licences_are_research_only() {
    let cat = catalogue();
    for id in [
        "deepfloyd-if-license",
        "fair-noncommercial-research-license",
        "apple-amlr",
        "h-research",
        "intel-research",
    ] {
        assert!(cat.resolve(id).expect(id).clauses.research_only, "{id}");
    }
}

#[test]
fn license_name_values_for_other_resolve_to_vendor_licences() {
    let cat = catalogue();
    assert_eq!(cat.resolve("tongyi-qianwen").expect("qwen").key, "qwen");
    assert_eq!(cat.resolve("deepseek").expect("deepseek").key, "deepseek");
    assert_eq!(cat.resolve("LicenseRef-llama3").expect("ref").key, "llama3");
    assert!(cat.resolve("my-own-licence").is_none());
}

#[test]
fn spdx_expressions_use_licenseref_off_the_list() {
    let cat = catalogue();
    assert_eq!(cat.resolve("mit").expect("mit").spdx_expression(), "MIT");
    assert_eq!(
        cat.resolve("llama3.1").expect("l").spdx_expression(),
        "LicenseRef-llama3.1"
    );
    assert_eq!(
        cat.resolve("openrail++").expect("r").spdx_expression(),
        "LicenseRef-openrail--"
    );
}

#[test]
fn licence_texts_are_recognised_by_their_key_phrases() {
    let cat = catalogue();
    let key = |t: &str| cat.recognise_text(t).map(|m| m.key);
    assert_eq!(key(APACHE_2_TEXT).as_deref(), Some("Apache-2.0"));
    assert_eq!(key(MIT_TEXT).as_deref(), Some("MIT"));
    assert_eq!(key(LLAMA3_TEXT).as_deref(), Some("llama3"));
    assert_eq!(key(LLAMA31_TEXT).as_deref(), Some("llama3.1"));
    assert_eq!(key(GEMMA_TEXT).as_deref(), Some("gemma"));
    assert_eq!(key(RAIL_M_TEXT).as_deref(), Some("creativeml-openrail-m"));
    assert_eq!(key(GPL3_TEXT).as_deref(), Some("GPL-3.0-only"));
    // The LGPL text mentions the GPL; the more specific match wins.
    assert_eq!(key(LGPL3_TEXT).as_deref(), Some("LGPL-3.0-only"));
    assert_eq!(key("All rights reserved. Do not copy.").as_deref(), None);
}

#[test]
fn recognition_survives_reflowed_and_decorated_text() {
    let cat = catalogue();
    let messy = "#  MIT  License\r\n\r\n> Permission   is hereby granted, FREE of charge, to any person\n> obtaining a copy ...\n**The above copyright notice and this permission notice shall be included** in all copies.";
    assert_eq!(
        cat.recognise_text(messy).map(|m| m.key).as_deref(),
        Some("MIT")
    );
}
