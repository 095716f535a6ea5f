//! CycloneDX 1.6 ML-BOM.

use serde_json::{Value, json};

use super::{BomOptions, EPOCH, purl, uuid_from};
use crate::evidence::weight_format;
use crate::licence::Licence;
use crate::report::Report;
use crate::snapshot::{RepoSnapshot, RepoType};

fn licences(l: &Licence) -> Value {
    match &l.spdx_id {
        Some(id) => json!([{ "license": { "id": id } }]),
        None => {
            let mut lic = json!({ "name": l.name });
            if let Some(u) = &l.url {
                lic["url"] = json!(u);
            }
            json!([{ "license": lic }])
        }
    }
}

fn prop(name: &str, value: impl Into<String>) -> Value {
    json!({ "name": name, "value": value.into() })
}

fn dataset_component(id: &str, cat_lic: Option<Value>, opts: &BomOptions, purpose: &str) -> Value {
    let mut data = json!({ "type": "dataset", "name": id });
    if let Some(base) = &opts.base_url {
        data["contents"] =
            json!({ "url": format!("{}/datasets/{id}", base.trim_end_matches('/')) });
    }
    let mut c = json!({
        "type": "data",
        "bom-ref": format!("dataset:{id}"),
        "name": id,
        "data": [data],
        "properties": [prop("agora:dataset:purpose", purpose)],
    });
    if let Some(l) = cat_lic {
        c["licenses"] = l;
    }
    c
}

/// Build a CycloneDX 1.6 BOM for a repository revision.
pub fn cyclonedx(snap: &RepoSnapshot, report: &Report, opts: &BomOptions) -> Value {
    let ts = opts
        .timestamp
        .clone()
        .or_else(|| snap.created.clone())
        .unwrap_or_else(|| EPOCH.into());
    let rev = snap.revision.as_deref();
    let serial = format!(
        "urn:uuid:{}",
        uuid_from(&format!("cyclonedx:{}@{}", snap.repo_id, rev.unwrap_or("")))
    );
    let cat = crate::licence::LicenceCatalogue::builtin();
    let card = &report.card;
    let is_dataset = snap.repo_type == RepoType::Dataset;

    // Subject component.
    let mut subject = json!({
        "type": if is_dataset { "data" } else { "machine-learning-model" },
        "bom-ref": "subject",
        "name": snap.repo_id,
        "purl": purl(&snap.repo_id, rev),
    });
    if let Some(r) = rev {
        subject["version"] = json!(r);
    }
    if let Some((owner, _)) = snap.repo_id.split_once('/') {
        subject["group"] = json!(owner);
    }
    if let Some(s) = &card.summary {
        subject["description"] = json!(s);
    }
    if let Some(l) = &report.licence.effective {
        subject["licenses"] = licences(l);
    }
    if !card.tags.is_empty() {
        subject["tags"] = json!(card.tags.iter().take(100).collect::<Vec<_>>());
    }
    if let Some(base) = &opts.base_url {
        let b = base.trim_end_matches('/');
        let url = if is_dataset {
            format!("{b}/datasets/{}", snap.repo_id)
        } else {
            format!("{b}/{}", snap.repo_id)
        };
        subject["externalReferences"] = json!([
            { "type": "distribution", "url": url },
            { "type": "model-card", "url": format!("{url}/blob/main/README.md") },
        ]);
    }
    // Single-file hash when there is exactly one weights file with a known hash.
    let weights: Vec<_> = snap
        .files
        .iter()
        .filter(|f| weight_format(&f.path).is_some())
        .collect();
    if let [w] = weights.as_slice()
        && let Some(h) = &w.sha256
    {
        subject["hashes"] = json!([{ "alg": "SHA-256", "content": h }]);
    }
    let g = &report.grades;
    let mut props = vec![
        prop("agora:openness:bucket", g.bucket.bucket.label()),
        prop("agora:openness:bucket-reason", g.bucket.reason.clone()),
    ];
    if let Some(o) = &g.osaid {
        props.push(prop(
            "agora:openness:osaid-1.0",
            if o.pass { "pass" } else { "fail" },
        ));
    }
    if let Some(m) = &g.mof {
        props.push(prop("agora:openness:mof-class", m.label));
    }
    for f in &g.flags {
        props.push(prop(
            "agora:openness:flag",
            format!("{}: {}", f.code, f.message),
        ));
    }
    subject["properties"] = json!(props);

    // Datasets.
    let mut components = Vec::new();
    let mut dataset_refs = Vec::new();
    let eval_ids = card.eval_dataset_ids();
    let lic_of = |id: &str| {
        snap.linked
            .iter()
            .find(|l| l.id.eq_ignore_ascii_case(id))
            .and_then(|l| l.license.as_deref())
            .and_then(|l| cat.resolve(l))
            .map(|l| licences(&l))
    };
    for id in &card.datasets {
        if dataset_refs.iter().any(|(r, _): &(String, &str)| r == id) {
            continue;
        }
        components.push(dataset_component(id, lic_of(id), opts, "training"));
        dataset_refs.push((id.clone(), "training"));
    }
    for id in eval_ids {
        if dataset_refs.iter().any(|(r, _)| r == id) {
            continue;
        }
        components.push(dataset_component(id, lic_of(id), opts, "evaluation"));
        dataset_refs.push((id.to_string(), "evaluation"));
    }

    if !is_dataset {
        let mut params = json!({});
        if let Some(t) = &card.pipeline_tag {
            params["task"] = json!(t);
        }
        if let Some(cfg) = snap
            .files
            .iter()
            .find(|f| f.path == "config.json")
            .and_then(|f| f.text.as_deref())
            && let Ok(v) = serde_json::from_str::<Value>(cfg)
        {
            if let Some(mt) = v.get("model_type").and_then(Value::as_str) {
                params["architectureFamily"] = json!(mt);
            }
            if let Some(a) = v
                .get("architectures")
                .and_then(|a| a.get(0))
                .and_then(Value::as_str)
            {
                params["modelArchitecture"] = json!(a);
            }
        }
        let ds: Vec<Value> = dataset_refs
            .iter()
            .filter(|(_, p)| *p == "training")
            .map(|(id, _)| json!({ "ref": format!("dataset:{id}") }))
            .collect();
        if !ds.is_empty() {
            params["datasets"] = json!(ds);
        }
        let mut model_card = json!({ "modelParameters": params });
        let metrics: Vec<Value> = card
            .eval_results
            .iter()
            .filter_map(|r| {
                let mut m = json!({ "type": r.metric.clone()?, "value": r.value.clone()? });
                if let Some(d) = r.dataset_name.clone().or_else(|| r.dataset.clone()) {
                    m["slice"] = json!(d);
                }
                Some(m)
            })
            .take(500)
            .collect();
        if !metrics.is_empty() {
            model_card["quantitativeAnalysis"] = json!({ "performanceMetrics": metrics });
        }
        let limits: Vec<String> = card
            .sections
            .iter()
            .filter(|s| s.kind == crate::card::SectionKind::Limitations && s.chars > 0)
            .map(|s| format!("see the card section \"{}\"", s.heading))
            .collect();
        if !limits.is_empty() {
            model_card["considerations"] = json!({ "technicalLimitations": limits });
        }
        model_card["properties"] = json!([prop("agora:openness:bucket", g.bucket.bucket.label())]);
        subject["modelCard"] = model_card;

        // Lineage.
        if !card.base_model.is_empty() {
            let ancestors: Vec<Value> = card
                .base_model
                .iter()
                .map(|b| {
                    json!({
                        "type": "machine-learning-model",
                        "bom-ref": format!("base:{b}"),
                        "name": b,
                        "purl": purl(b, None),
                    })
                })
                .collect();
            let mut pedigree = json!({ "ancestors": ancestors });
            if let Some(rel) = &card.base_model_relation {
                pedigree["notes"] = json!(format!("base_model_relation: {rel}"));
            }
            subject["pedigree"] = pedigree;
        }
    }

    // Files with known hashes.
    for f in &snap.files {
        let Some(h) = &f.sha256 else { continue };
        components.push(json!({
            "type": "file",
            "bom-ref": format!("file:{}", f.path),
            "name": f.path,
            "hashes": [{ "alg": "SHA-256", "content": h }],
        }));
    }

    let mut all = vec![subject];
    all.extend(components);
    let depends: Vec<String> = all
        .iter()
        .skip(1)
        .filter_map(|c| c.get("bom-ref").and_then(Value::as_str).map(str::to_string))
        .collect();
    let mut deps = vec![json!({ "ref": "subject", "dependsOn": depends })];
    for r in &depends {
        deps.push(json!({ "ref": r }));
    }
    json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": serial,
        "version": 1,
        "metadata": {
            "timestamp": ts,
            "tools": { "components": [{ "type": "application", "name": "agora", "version": opts.tool_version }] },
        },
        "components": all,
        "dependencies": deps,
    })
}
