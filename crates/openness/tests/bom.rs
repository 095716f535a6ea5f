//! AI bills of materials: structural checks written from the CycloneDX 1.6 and SPDX 3.0.1
//! schema facts (required fields, enums, reference integrity).

mod common;

use std::collections::HashSet;

use agora_openness::bom::{BomOptions, cyclonedx, spdx3};
use common::*;
use serde_json::Value;

fn fine_tune() -> (agora_openness::RepoSnapshot, agora_openness::Report) {
    let yaml = "license: apache-2.0\ndatasets: [allenai/dolma, HuggingFaceH4/ultrachat_200k]\nbase_model: allenai/OLMo-7B\nbase_model_relation: finetune\npipeline_tag: text-generation\nmodel-index:\n- name: m\n  results:\n  - dataset: {type: cais/mmlu, name: MMLU}\n    metrics:\n    - {type: accuracy, value: 52.1}\n";
    let snap = hf_model_files(Repo::model("allenai/OLMo-7B-Instruct"))
        .card(yaml, "# OLMo 7B Instruct\nAn instruction-tuned OLMo.\n\n## Bias, Risks, and Limitations\nIt can produce harmful text.\n")
        .linked("allenai/dolma", "odc-by")
        .build();
    let report = agora_openness::assess(&snap, &catalogue());
    (snap, report)
}

const CDX_COMPONENT_TYPES: &[&str] = &[
    "application",
    "framework",
    "library",
    "container",
    "platform",
    "operating-system",
    "device",
    "device-driver",
    "firmware",
    "file",
    "machine-learning-model",
    "data",
    "cryptographic-asset",
];

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("bom-ref") {
                out.push(r.clone());
            }
            for x in m.values() {
                collect_refs(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

#[test]
fn cyclonedx_has_the_required_top_level_fields() {
    let (snap, report) = fine_tune();
    let b = cyclonedx(&snap, &report, &BomOptions::default());
    assert_eq!(b["bomFormat"], "CycloneDX");
    assert_eq!(b["specVersion"], "1.6");
    let serial = b["serialNumber"].as_str().expect("serial");
    assert!(
        serial.starts_with("urn:uuid:") && serial.len() == 45,
        "{serial}"
    );
    assert_eq!(b["version"], 1);
    assert_eq!(b["metadata"]["timestamp"], "2024-02-01T00:00:00Z");
}

#[test]
fn cyclonedx_model_component_carries_licence_model_card_and_pedigree() {
    let (snap, report) = fine_tune();
    let b = cyclonedx(&snap, &report, &BomOptions::default());
    let comps = b["components"].as_array().expect("components");
    for c in comps {
        assert!(CDX_COMPONENT_TYPES.contains(&c["type"].as_str().expect("type")));
        assert!(c["name"].is_string());
    }
    let model = &comps[0];
    assert_eq!(model["type"], "machine-learning-model");
    assert_eq!(model["licenses"][0]["license"]["id"], "Apache-2.0");
    assert!(
        model["purl"]
            .as_str()
            .expect("purl")
            .starts_with("pkg:huggingface/allenai/OLMo-7B-Instruct@")
    );
    let params = &model["modelCard"]["modelParameters"];
    assert_eq!(params["task"], "text-generation");
    assert_eq!(params["architectureFamily"], "llama");
    let refs: Vec<&str> = params["datasets"]
        .as_array()
        .expect("datasets")
        .iter()
        .map(|d| d["ref"].as_str().expect("ref"))
        .collect();
    assert_eq!(
        refs,
        [
            "dataset:allenai/dolma",
            "dataset:HuggingFaceH4/ultrachat_200k"
        ]
    );
    assert_eq!(
        model["modelCard"]["quantitativeAnalysis"]["performanceMetrics"][0]["type"],
        "accuracy"
    );
    assert_eq!(model["pedigree"]["ancestors"][0]["name"], "allenai/OLMo-7B");
    assert!(
        model["properties"]
            .as_array()
            .expect("props")
            .iter()
            .any(|p| p["name"] == "agora:openness:bucket")
    );
    // The dataset with a known licence carries it.
    let dolma = comps
        .iter()
        .find(|c| c["name"] == "allenai/dolma")
        .expect("dolma");
    assert_eq!(dolma["type"], "data");
    assert_eq!(dolma["data"][0]["type"], "dataset");
    assert_eq!(dolma["licenses"][0]["license"]["id"], "ODC-By-1.0");
}

#[test]
fn cyclonedx_references_resolve_and_bom_refs_are_unique() {
    let (snap, report) = fine_tune();
    let b = cyclonedx(&snap, &report, &BomOptions::default());
    let mut refs = Vec::new();
    collect_refs(&b["components"], &mut refs);
    let set: HashSet<&String> = refs.iter().collect();
    assert_eq!(set.len(), refs.len(), "duplicate bom-ref");
    for d in b["dependencies"].as_array().expect("deps") {
        assert!(set.contains(&d["ref"].as_str().expect("ref").to_string()));
        for x in d["dependsOn"].as_array().into_iter().flatten() {
            assert!(set.contains(&x.as_str().expect("s").to_string()));
        }
    }
    for d in b["components"][0]["modelCard"]["modelParameters"]["datasets"]
        .as_array()
        .expect("ds")
    {
        assert!(set.contains(&d["ref"].as_str().expect("s").to_string()));
    }
}

#[test]
fn custom_licences_use_a_name_in_cyclonedx_and_licenseref_in_spdx() {
    let snap = hf_model_files(Repo::model("meta-llama/Llama-3.1-8B"))
        .card("license: llama3.1", "")
        .build();
    let r = agora_openness::assess(&snap, &catalogue());
    let b = cyclonedx(&snap, &r, &BomOptions::default());
    assert_eq!(
        b["components"][0]["licenses"][0]["license"]["name"],
        "Llama 3.1 Community License Agreement"
    );
    let s = spdx3(&snap, &r, &BomOptions::default());
    let expr = s["@graph"]
        .as_array()
        .expect("g")
        .iter()
        .find(|e| e["type"] == "simplelicensing_LicenseExpression")
        .expect("expr");
    assert_eq!(
        expr["simplelicensing_licenseExpression"],
        "LicenseRef-llama3.1"
    );
}

#[test]
fn boms_are_deterministic() {
    let (snap, report) = fine_tune();
    let o = BomOptions::default();
    assert_eq!(cyclonedx(&snap, &report, &o), cyclonedx(&snap, &report, &o));
    assert_eq!(spdx3(&snap, &report, &o), spdx3(&snap, &report, &o));
}

#[test]
fn spdx_document_is_well_formed_json_ld() {
    let (snap, report) = fine_tune();
    let s = spdx3(
        &snap,
        &report,
        &BomOptions {
            base_url: Some("https://hub.example".into()),
            ..Default::default()
        },
    );
    assert_eq!(
        s["@context"],
        "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    );
    let graph = s["@graph"].as_array().expect("graph");
    let ci = &graph[0];
    assert_eq!(ci["type"], "CreationInfo");
    assert_eq!(ci["specVersion"], "3.0.1");
    let ids: HashSet<&str> = graph.iter().filter_map(|e| e["spdxId"].as_str()).collect();
    assert_eq!(
        ids.len(),
        graph.len() - 1,
        "every element but CreationInfo has a unique spdxId"
    );
    for e in &graph[1..] {
        assert_eq!(e["creationInfo"], "_:creationinfo", "{e}");
        assert!(e["type"].is_string());
    }
    for a in ci["createdBy"].as_array().expect("createdBy") {
        assert!(ids.contains(a.as_str().expect("s")));
    }
    // Relationships point at elements of the graph.
    for r in graph.iter().filter(|e| e["type"] == "Relationship") {
        assert!(ids.contains(r["from"].as_str().expect("from")));
        for t in r["to"].as_array().expect("to") {
            assert!(ids.contains(t.as_str().expect("to")), "{t}");
        }
    }
}

#[test]
fn spdx_ai_and_dataset_packages_have_their_required_properties() {
    let (snap, report) = fine_tune();
    let s = spdx3(
        &snap,
        &report,
        &BomOptions {
            base_url: Some("https://hub.example".into()),
            ..Default::default()
        },
    );
    let graph = s["@graph"].as_array().expect("graph");
    let model = graph
        .iter()
        .find(|e| e["type"] == "ai_AIPackage" && e["name"] == "allenai/OLMo-7B-Instruct")
        .expect("model");
    for k in [
        "releaseTime",
        "suppliedBy",
        "software_downloadLocation",
        "software_packageVersion",
        "software_primaryPurpose",
    ] {
        assert!(!model[k].is_null(), "AIPackage lacks {k}");
    }
    assert_eq!(model["software_primaryPurpose"], "model");
    assert_eq!(
        model["software_downloadLocation"],
        "https://hub.example/allenai/OLMo-7B-Instruct"
    );
    let datasets: Vec<&Value> = graph
        .iter()
        .filter(|e| e["type"] == "dataset_DatasetPackage")
        .collect();
    assert_eq!(
        datasets.len(),
        3,
        "two training sets and one evaluation set"
    );
    for d in &datasets {
        for k in [
            "builtTime",
            "releaseTime",
            "software_downloadLocation",
            "software_primaryPurpose",
        ] {
            assert!(!d[k].is_null(), "DatasetPackage lacks {k}");
        }
        assert_eq!(d["originatedBy"].as_array().map(Vec::len), Some(1));
        assert!(
            !d["dataset_datasetType"]
                .as_array()
                .expect("type")
                .is_empty()
        );
    }
    let rel = |kind: &str| {
        graph
            .iter()
            .find(|e| e["type"] == "Relationship" && e["relationshipType"] == kind)
            .cloned()
    };
    let trained = rel("trainedOn").expect("trainedOn");
    assert_eq!(trained["from"], model["spdxId"]);
    assert_eq!(trained["to"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        rel("testedOn").expect("testedOn")["to"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert!(rel("hasDeclaredLicense").is_some());
    assert!(rel("descendantOf").is_some());
}
