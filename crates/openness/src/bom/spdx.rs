//! SPDX 3.0.1 JSON-LD with the AI and Dataset profiles.

use serde_json::{Value, json};

use super::{BomOptions, EPOCH, licence_expression, uuid_from};
use crate::licence::LicenceCatalogue;
use crate::report::Report;
use crate::snapshot::{RepoSnapshot, RepoType};

/// The JSON-LD context of SPDX 3.0.1.
pub const SPDX_CONTEXT: &str = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld";

struct Graph {
    ns: String,
    elements: Vec<Value>,
    next: usize,
}

impl Graph {
    fn id(&mut self, kind: &str) -> String {
        self.next += 1;
        format!("{}{kind}-{}", self.ns, self.next)
    }
    fn push(&mut self, mut v: Value) -> String {
        v["creationInfo"] = json!("_:creationinfo");
        let id = v
            .get("spdxId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        self.elements.push(v);
        id
    }
    fn relationship(&mut self, from: &str, kind: &str, to: Vec<String>) {
        let id = self.id("Relationship");
        self.push(json!({
            "type": "Relationship",
            "spdxId": id,
            "from": from,
            "relationshipType": kind,
            "to": to,
        }));
    }
}

fn dataset_type(pipeline: Option<&str>) -> &'static str {
    match pipeline.unwrap_or("") {
        p if p.contains("image")
            || p.contains("vision")
            || p.contains("depth")
            || p.contains("object") =>
        {
            "image"
        }
        p if p.contains("audio") || p.contains("speech") => "audio",
        p if p.contains("video") => "video",
        p if p.contains("text")
            || p.contains("token")
            || p.contains("translation")
            || p.contains("question")
            || p.contains("summar")
            || p.contains("fill-mask")
            || p.contains("sentence") =>
        {
            "text"
        }
        p if p.contains("tabular") => "structured",
        _ => "noAssertion",
    }
}

/// Build an SPDX 3.0.1 document for a repository revision.
pub fn spdx3(snap: &RepoSnapshot, report: &Report, opts: &BomOptions) -> Value {
    let ts = opts
        .timestamp
        .clone()
        .or_else(|| snap.created.clone())
        .unwrap_or_else(|| EPOCH.into());
    let rev = snap.revision.as_deref();
    let uuid = uuid_from(&format!("spdx:{}@{}", snap.repo_id, rev.unwrap_or("")));
    let mut g = Graph {
        ns: format!("urn:agora:spdx:{uuid}#"),
        elements: Vec::new(),
        next: 0,
    };
    let card = &report.card;
    let cat = LicenceCatalogue::builtin();
    let is_dataset = snap.repo_type == RepoType::Dataset;

    let tool = format!("{}SoftwareAgent-agora", g.ns);
    let owner = snap
        .repo_id
        .split_once('/')
        .map_or("unknown", |(o, _)| o)
        .to_string();
    let supplier = format!(
        "{}Organization-{}",
        g.ns,
        owner.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    );
    g.push(json!({
        "type": "SoftwareAgent",
        "spdxId": tool,
        "name": format!("agora {}", opts.tool_version),
    }));
    g.push(json!({
        "type": "Organization",
        "spdxId": supplier,
        "name": owner,
    }));

    let base = opts
        .base_url
        .as_deref()
        .map(|b| b.trim_end_matches('/').to_string());
    let location = |id: &str, dataset: bool| -> String {
        match &base {
            Some(b) if dataset => format!("{b}/datasets/{id}"),
            Some(b) => format!("{b}/{id}"),
            None => "NOASSERTION".into(),
        }
    };

    // The subject.
    let subject_id = g.id(if is_dataset { "Dataset" } else { "AIPackage" });
    let mut subject = json!({
        "spdxId": subject_id,
        "name": snap.repo_id,
        "software_packageVersion": rev.unwrap_or("NOASSERTION"),
        "software_downloadLocation": location(&snap.repo_id, is_dataset),
        "releaseTime": ts,
        "suppliedBy": supplier,
    });
    if let Some(s) = &card.summary {
        subject["description"] = json!(s);
    }
    if is_dataset {
        subject["type"] = json!("dataset_DatasetPackage");
        subject["software_primaryPurpose"] = json!("data");
        subject["builtTime"] = json!(ts);
        subject["originatedBy"] = json!([supplier]);
        subject["dataset_datasetType"] = json!([dataset_type(card.pipeline_tag.as_deref())]);
        subject["dataset_datasetAvailability"] = json!(if card.is_gated() {
            "clickthrough"
        } else {
            "directDownload"
        });
    } else {
        subject["type"] = json!("ai_AIPackage");
        subject["software_primaryPurpose"] = json!("model");
        if let Some(t) = &card.pipeline_tag {
            subject["ai_typeOfModel"] = json!([t]);
            subject["ai_domain"] = json!([t]);
        }
        subject["ai_autonomyType"] = json!("noAssertion");
        let metrics: Vec<Value> = card
            .eval_results
            .iter()
            .filter_map(|r| {
                Some(json!({
                    "type": "DictionaryEntry",
                    "key": format!("{}{}", r.metric.clone()?, r.dataset.as_ref().map(|d| format!(" ({d})")).unwrap_or_default()),
                    "value": r.value.clone()?,
                }))
            })
            .take(500)
            .collect();
        if !metrics.is_empty() {
            subject["ai_metric"] = json!(metrics);
        }
        if let Some(s) = card.substantive(crate::card::SectionKind::TrainingProcedure, 1) {
            subject["ai_informationAboutTraining"] =
                json!(format!("see the card section \"{}\"", s.heading));
        }
        if let Some(s) = card.substantive(crate::card::SectionKind::Limitations, 1) {
            subject["ai_limitation"] = json!(format!("see the card section \"{}\"", s.heading));
        }
    }
    g.push(subject);

    // Licence.
    if let Some(l) = &report.licence.effective {
        let lid = g.id("LicenseExpression");
        let mut expr = json!({
            "type": "simplelicensing_LicenseExpression",
            "spdxId": lid,
            "simplelicensing_licenseExpression": licence_expression(l),
        });
        if l.spdx_id.is_none()
            && let Some(u) = &l.url
        {
            expr["simplelicensing_customIdToUri"] =
                json!([{ "type": "DictionaryEntry", "key": licence_expression(l), "value": u }]);
        }
        g.push(expr);
        g.relationship(&subject_id, "hasDeclaredLicense", vec![lid]);
    }

    // Datasets.
    let mut trained = Vec::new();
    let mut tested = Vec::new();
    let eval_ids = card.eval_dataset_ids();
    let mut ds_ids: Vec<(String, String)> = Vec::new();
    let all: Vec<&str> = card
        .datasets
        .iter()
        .map(String::as_str)
        .chain(eval_ids.iter().copied())
        .collect();
    for id in all {
        if ds_ids.iter().any(|(d, _)| d == id) {
            continue;
        }
        let sid = g.id("Dataset");
        let ds_owner = id.split_once('/').map_or("unknown", |(o, _)| o).to_string();
        let org = format!(
            "{}Organization-{}",
            g.ns,
            ds_owner.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
        );
        if !g
            .elements
            .iter()
            .any(|e| e.get("spdxId").and_then(Value::as_str) == Some(org.as_str()))
        {
            g.push(json!({ "type": "Organization", "spdxId": org, "name": ds_owner }));
        }
        g.push(json!({
            "type": "dataset_DatasetPackage",
            "spdxId": sid,
            "name": id,
            "software_primaryPurpose": "data",
            "software_downloadLocation": location(id, true),
            "software_packageVersion": "NOASSERTION",
            "builtTime": EPOCH,
            "releaseTime": EPOCH,
            "originatedBy": [org],
            "suppliedBy": org,
            "dataset_datasetType": ["noAssertion"],
        }));
        if let Some(l) = snap
            .linked
            .iter()
            .find(|l| l.id.eq_ignore_ascii_case(id))
            .and_then(|l| l.license.as_deref())
            .and_then(|l| cat.resolve(l))
        {
            let lid = g.id("LicenseExpression");
            g.push(json!({
                "type": "simplelicensing_LicenseExpression",
                "spdxId": lid,
                "simplelicensing_licenseExpression": licence_expression(&l),
            }));
            g.relationship(&sid, "hasDeclaredLicense", vec![lid]);
        }
        ds_ids.push((id.to_string(), sid));
    }
    for (id, sid) in &ds_ids {
        if card.datasets.iter().any(|d| d == id) {
            trained.push(sid.clone());
        }
        if eval_ids.contains(&id.as_str()) {
            tested.push(sid.clone());
        }
    }
    if !is_dataset {
        if !trained.is_empty() {
            g.relationship(&subject_id, "trainedOn", trained);
        }
        if !tested.is_empty() {
            g.relationship(&subject_id, "testedOn", tested);
        }
        // Lineage.
        let mut bases = Vec::new();
        for b in &card.base_model {
            let bid = g.id("AIPackage");
            g.push(json!({
                "type": "ai_AIPackage",
                "spdxId": bid,
                "name": b,
                "software_primaryPurpose": "model",
                "software_downloadLocation": location(b, false),
                "software_packageVersion": "NOASSERTION",
                "releaseTime": EPOCH,
                "suppliedBy": supplier,
            }));
            bases.push(bid);
        }
        if !bases.is_empty() {
            g.relationship(&subject_id, "descendantOf", bases);
        }
    }

    // The openness verdict as an annotation.
    let ann = g.id("Annotation");
    let mut statement = format!(
        "Agora openness: {} ({})",
        report.grades.bucket.bucket.label(),
        report.grades.bucket.reason
    );
    if let Some(o) = &report.grades.osaid {
        statement.push_str(&format!(
            "; OSAID 1.0: {}",
            if o.pass { "pass" } else { "fail" }
        ));
    }
    if let Some(m) = &report.grades.mof {
        statement.push_str(&format!("; MOF: {}", m.label));
    }
    g.push(json!({
        "type": "Annotation",
        "spdxId": ann,
        "annotationType": "review",
        "subject": subject_id,
        "statement": statement,
    }));

    let doc_id = format!("{}SpdxDocument", g.ns);
    let sbom_id = format!("{}Bom", g.ns);
    let element_ids: Vec<Value> = g
        .elements
        .iter()
        .filter_map(|e| e.get("spdxId").cloned())
        .collect();
    let mut graph = vec![json!({
        "type": "CreationInfo",
        "@id": "_:creationinfo",
        "specVersion": "3.0.1",
        "created": ts,
        "createdBy": [tool],
    })];
    graph.push(json!({
        "type": "SpdxDocument",
        "spdxId": doc_id,
        "creationInfo": "_:creationinfo",
        "name": format!("AI BOM of {}", snap.repo_id),
        "profileConformance": ["core", "software", "simpleLicensing", "ai", "dataset"],
        "dataLicense": "https://spdx.org/licenses/CC0-1.0",
        "rootElement": [sbom_id],
        "element": element_ids.clone(),
    }));
    graph.push(json!({
        "type": "software_Sbom",
        "spdxId": sbom_id,
        "creationInfo": "_:creationinfo",
        "software_sbomType": ["build"],
        "rootElement": [subject_id],
        "element": element_ids,
    }));
    graph.extend(g.elements);
    json!({ "@context": SPDX_CONTEXT, "@graph": graph })
}
