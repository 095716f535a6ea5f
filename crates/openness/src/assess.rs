//! The assessment: snapshot in, report out. Pure: no I/O, no clock, no network.

use crate::card::{self, CardFacts};
use crate::evidence::{self, library_licence};
use crate::grade::mof::{self, ComponentLicence, MofComponent, MofEntry, MofInput};
use crate::grade::{self, Facts, Grades};
use crate::licence::{Licence, LicenceCatalogue, LicenceClass};
use crate::report::{
    Artifact, Finding, LicenceEvidence, LicenceFacts, Presence, Problem, REPORT_SCHEMA, Report,
    Source,
};
use crate::snapshot::{RepoSnapshot, RepoType};
use crate::yaml::{self, Yaml};

/// Assess one repository revision.
pub fn assess(snap: &RepoSnapshot, cat: &LicenceCatalogue) -> Report {
    let mut problems = Vec::new();
    let card = match snap.card_text() {
        Some(t) => card::read_card(t, "README.md", &mut problems),
        None => CardFacts::default(),
    };
    let evidence = evidence::gather(snap, &card);
    let (licence, unresolved, conflict) = licence_facts(snap, &card, cat, &mut problems);

    let facts = Facts {
        repo_type: snap.repo_type,
        licence: licence.effective.as_ref(),
        unresolved_licence: unresolved.as_deref(),
        evidence: &evidence,
        card: &card,
        licence_conflict: conflict,
    };
    let is_model = snap.repo_type == RepoType::Model;
    let osaid = is_model.then(|| grade::osaid(&facts));
    let mof = is_model.then(|| {
        let (input, basis) = mof_input(snap, &facts, cat, &mut problems);
        mof::classify(&input, cat, &basis)
    });
    let freedoms = grade::freedoms(&facts);
    let bucket = grade::bucket(&facts, osaid.as_ref());
    let flags = grade::flags(&facts, osaid.as_ref());

    Report {
        schema: REPORT_SCHEMA,
        repo_id: snap.repo_id.clone(),
        repo_type: snap.repo_type,
        revision: snap.revision.clone(),
        spdx_list_version: cat.spdx_list_version(),
        licence,
        grades: Grades {
            osaid,
            mof,
            freedoms,
            bucket,
            flags,
        },
        card,
        evidence,
        problems,
    }
}

type LicenceOutcome = (LicenceFacts, Option<String>, Option<String>);

fn licence_facts(
    snap: &RepoSnapshot,
    card: &CardFacts,
    cat: &LicenceCatalogue,
    problems: &mut Vec<Problem>,
) -> LicenceOutcome {
    let mut facts = LicenceFacts::default();
    let mut unresolved = None;
    for raw in &card.license {
        let lower = raw.to_ascii_lowercase();
        if lower == "other" {
            match &card.license_name {
                Some(name) => {
                    let resolved = cat.resolve(name);
                    if resolved.is_none() {
                        unresolved = Some(name.clone());
                    }
                    facts.declared.push(LicenceEvidence {
                        raw: format!("other ({name})"),
                        source: Source::card_field("license_name"),
                        resolved,
                    });
                }
                None => {
                    unresolved = Some("other".into());
                    problems.push(Problem::new(
                        Source::card_field("license"),
                        "`license: other` without `license_name`: the licence cannot be identified",
                    ));
                    facts.declared.push(LicenceEvidence {
                        raw: raw.clone(),
                        source: Source::card_field("license"),
                        resolved: None,
                    });
                }
            }
            continue;
        }
        let resolved = if lower == "unknown" {
            None
        } else {
            cat.resolve(raw)
        };
        if resolved.is_none() {
            unresolved = Some(raw.clone());
            if lower != "unknown" {
                problems.push(Problem::new(
                    Source::card_field("license"),
                    format!("unknown licence id {raw:?}: not an SPDX id, a Hub id or a known licence name"),
                ));
            }
        }
        facts.declared.push(LicenceEvidence {
            raw: raw.clone(),
            source: Source::card_field("license"),
            resolved,
        });
    }
    for f in &snap.files {
        // Top-level LICENSE*, LICENCE*, COPYING* (any case), without an allocation per file.
        let top_level = !f.path.contains('/');
        let is_licence = ["license", "licence", "copying"].iter().any(|p| {
            f.path
                .get(..p.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(p))
        });
        if !is_licence || !top_level {
            continue;
        }
        let Some(text) = &f.text else {
            problems.push(Problem::new(
                Source::file(&f.path),
                "licence file not read (too large or not text)",
            ));
            continue;
        };
        let m = cat.recognise_text(text);
        let resolved = m.as_ref().and_then(|m| cat.resolve(&m.key));
        facts.files.push(LicenceEvidence {
            raw: f.path.clone(),
            source: Source::file(&f.path),
            resolved,
        });
    }

    let card_l = facts.declared.iter().find_map(|d| d.resolved.clone());
    let file_l = facts.files.iter().find_map(|d| d.resolved.clone());
    let mut conflict = None;
    let (effective, reason) = match (card_l, file_l) {
        (Some(c), Some(f)) if c.key == f.key => (
            Some(c),
            "declared in the card and confirmed by the LICENSE text".to_string(),
        ),
        (Some(c), Some(f)) if c.class == LicenceClass::Family => {
            let r = format!(
                "the card names the {} family; the LICENSE text is {}",
                c.key, f.key
            );
            (Some(f), r)
        }
        (Some(c), Some(f)) => {
            conflict = Some(format!(
                "the card declares {} but the LICENSE text is {}; the LICENSE text is used",
                c.key, f.key
            ));
            (
                Some(f),
                "the LICENSE text (it disagrees with the card)".to_string(),
            )
        }
        (None, Some(f)) => (Some(f), "recognised from the LICENSE text".to_string()),
        (Some(c), None) => (Some(c), "declared in the card".to_string()),
        (None, None) => (
            None,
            match &unresolved {
                Some(u) => format!("the licence {u:?} is not recognised"),
                None => "no licence declared and no LICENSE file recognised".to_string(),
            },
        ),
    };
    if effective.is_some() {
        unresolved = None;
    }
    facts.effective = effective;
    facts.reason = reason;
    (facts, unresolved, conflict)
}

fn first(ev: &[Finding], a: Artifact) -> Option<&Finding> {
    ev.iter().find(|f| f.artifact == a)
}

fn linked_licence(snap: &RepoSnapshot, id: &str) -> Option<String> {
    snap.linked
        .iter()
        .find(|l| l.id.eq_ignore_ascii_case(id))
        .and_then(|l| l.license.clone())
}

fn mof_input(
    snap: &RepoSnapshot,
    facts: &Facts,
    cat: &LicenceCatalogue,
    problems: &mut Vec<Problem>,
) -> (MofInput, String) {
    // A MOF configuration file in the repository declares the components outright.
    if let Some(f) = snap.files.iter().find(|f| {
        let n = f.path.to_ascii_lowercase();
        n == "mof.json" || n == "mof.yml" || n == "mof.yaml"
    }) {
        match f.text.as_deref().map(yaml::parse) {
            Some(Ok(y)) => {
                if let Some(input) = mof_input_from_config(&y, problems, &f.path) {
                    return (input, format!("declared in {}", f.path));
                }
            }
            Some(Err(e)) => problems.push(Problem::new(
                Source::file(&f.path),
                format!("MOF configuration is not readable ({e}); evidence used instead"),
            )),
            None => problems.push(Problem::new(
                Source::file(&f.path),
                "MOF configuration not read",
            )),
        }
    }
    let ev = facts.evidence;
    let dist = facts
        .licence
        .map(|l| l.key.clone())
        .or_else(|| facts.unresolved_licence.map(str::to_string));
    let mut input = MofInput {
        distribution: dist,
        ..MofInput::default()
    };
    let mut add = |c: MofComponent, licence: ComponentLicence, note: String| {
        input.components.push(MofEntry {
            component: c,
            licence,
            note: Some(note),
        });
    };
    let inherit_or = |f: &Finding| -> ComponentLicence {
        match f.presence {
            Presence::Library => library_licence(f.detail.split(' ').next().unwrap_or(""))
                .map_or(ComponentLicence::Unlicensed, |l| {
                    ComponentLicence::Id(l.to_string())
                }),
            Presence::InRepo | Presence::Linked => ComponentLicence::Inherit,
            Presence::Declared => ComponentLicence::Unlicensed,
        }
    };
    let simple = [
        (MofComponent::ModelArchitecture, Artifact::ArchitectureCode),
        (MofComponent::ModelParametersFinal, Artifact::Weights),
        (MofComponent::EvaluationResults, Artifact::EvaluationResults),
        (MofComponent::ModelCard, Artifact::ModelCard),
        (MofComponent::DataCard, Artifact::DataCard),
        (MofComponent::SampleModelOutputs, Artifact::SampleOutputs),
        (MofComponent::InferenceCode, Artifact::InferenceCode),
        (MofComponent::EvaluationCode, Artifact::EvaluationCode),
        (MofComponent::SupportingLibraries, Artifact::SupportingCode),
        (
            MofComponent::DataPreprocessingCode,
            Artifact::DataProcessingCode,
        ),
        (
            MofComponent::ModelParametersIntermediate,
            Artifact::IntermediateCheckpoints,
        ),
    ];
    for (c, a) in simple {
        // Prefer evidence in the repository over a library.
        let f = ev
            .iter()
            .find(|f| f.artifact == a && f.presence == Presence::InRepo)
            .or_else(|| first(ev, a));
        if let Some(f) = f {
            add(c, inherit_or(f), format!("{} ({})", f.detail, f.source));
        }
    }
    if let Some(f) = first(ev, Artifact::ModelMetadata).or_else(|| first(ev, Artifact::ModelConfig))
    {
        add(
            MofComponent::ModelMetadata,
            ComponentLicence::Inherit,
            format!("{} ({})", f.detail, f.source),
        );
    }
    if let Some(f) = first(ev, Artifact::TrainingCode) {
        add(
            MofComponent::TrainingCode,
            ComponentLicence::Inherit,
            format!("{} ({})", f.detail, f.source),
        );
    } else if let Some(f) = first(ev, Artifact::CodeRepository) {
        add(
            MofComponent::TrainingCode,
            ComponentLicence::Inherit,
            format!(
                "linked code repository {}, assumed under the repository's licence (not verified)",
                f.detail
            ),
        );
    }
    for (c, a) in [
        (MofComponent::ResearchPaper, Artifact::ResearchPaper),
        (MofComponent::TechnicalReport, Artifact::TechnicalReport),
    ] {
        let in_repo = ev
            .iter()
            .find(|f| f.artifact == a && f.presence == Presence::InRepo);
        if let Some(f) = in_repo {
            add(
                c,
                ComponentLicence::Inherit,
                format!("{} ({})", f.detail, f.source),
            );
        } else if let Some(f) = first(ev, a) {
            add(
                c,
                ComponentLicence::Unlicensed,
                format!(
                    "{} (linked; its licence is not known: declare it in mof.yml)",
                    f.detail
                ),
            );
        }
    }
    // Datasets and evaluation data: licences known only through linked repositories.
    for (c, a) in [
        (MofComponent::Datasets, Artifact::DatasetReference),
        (MofComponent::EvaluationData, Artifact::EvaluationData),
    ] {
        if c == MofComponent::Datasets
            && let Some(f) = ev.iter().find(|f| f.artifact == Artifact::DataFiles)
        {
            add(
                c,
                ComponentLicence::Inherit,
                format!("{} ({})", f.detail, f.source),
            );
            continue;
        }
        let ids: Vec<&str> = ev
            .iter()
            .filter(|f| f.artifact == a)
            .map(|f| f.detail.as_str())
            .collect();
        if ids.is_empty() {
            continue;
        }
        let licences: Vec<Option<String>> = ids.iter().map(|id| linked_licence(snap, id)).collect();
        let lic = if licences.iter().any(Option::is_none) {
            ComponentLicence::Unlicensed
        } else {
            // The least open licence decides.
            let worst = licences
                .iter()
                .flatten()
                .find(|l| !cat.resolve(l).is_some_and(|x| x.mof_open()))
                .or_else(|| licences.iter().flatten().next())
                .cloned();
            worst.map_or(ComponentLicence::Unlicensed, ComponentLicence::Id)
        };
        add(c, lic, format!("{} (declared in the card)", ids.join(", ")));
    }
    (input, "evidence found in the repository".into())
}

fn global_name(y: Option<&Yaml>) -> Option<String> {
    let y = y?;
    y.get("name")
        .and_then(Yaml::scalar_text)
        .or_else(|| y.scalar_text())
        .filter(|s| !s.trim().is_empty())
}

/// Read a MOF configuration (the Model Openness Tool's model YAML/JSON layout).
pub fn mof_input_from_config(
    y: &Yaml,
    problems: &mut Vec<Problem>,
    path: &str,
) -> Option<MofInput> {
    let release = y.get("release").unwrap_or(y);
    let mut input = MofInput::default();
    if let Some(lic) = release.get("license") {
        input.distribution = global_name(lic.get("distribution"));
        input.code = global_name(lic.get("code"));
        input.data = global_name(lic.get("data"));
        input.document = global_name(lic.get("document"));
    }
    let Some(Yaml::Seq(components)) = release.get("components") else {
        problems.push(Problem::new(
            Source::file(path),
            "MOF configuration has no `release.components` list; evidence used instead",
        ));
        return None;
    };
    for c in components {
        let Some(name) = c.get("name").and_then(Yaml::scalar_text) else {
            problems.push(Problem::new(
                Source::file(path),
                "a MOF component has no name; ignored",
            ));
            continue;
        };
        let Some(component) = MofComponent::from_name(&name) else {
            problems.push(Problem::new(
                Source::file(path),
                format!("unknown MOF component {name:?}; ignored"),
            ));
            continue;
        };
        let licence = match c.get("license") {
            None | Some(Yaml::Null) => ComponentLicence::Inherit,
            Some(v) => match v.scalar_text() {
                Some(s) if s.trim().is_empty() || s.trim().eq_ignore_ascii_case("unlicensed") => {
                    ComponentLicence::Unlicensed
                }
                Some(s) => ComponentLicence::Id(s.trim().to_string()),
                None => ComponentLicence::Unlicensed,
            },
        };
        input.components.push(MofEntry {
            component,
            licence,
            note: Some(format!("declared in {path}")),
        });
    }
    Some(input)
}

/// The effective licence of a report, if any.
pub fn effective_licence(r: &Report) -> Option<&Licence> {
    r.licence.effective.as_ref()
}
