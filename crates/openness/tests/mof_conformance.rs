//! The Model Openness Framework classifier reproduces the Model Openness Tool's results on
//! its 27 test models (facts restated in `fixtures/mof_conformance.yaml`).

use std::collections::BTreeMap;

use agora_openness::LicenceCatalogue;
use agora_openness::grade::mof::{self, ComponentLicence, MofComponent, MofEntry, MofInput};
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    model: String,
    #[serde(default)]
    global: BTreeMap<String, String>,
    components: Vec<Component>,
    expect: Expect,
}

#[derive(Deserialize)]
struct Component {
    name: String,
    license: Option<String>,
}

#[derive(Deserialize)]
struct Expect {
    class: u8,
    iii: f64,
    ii: f64,
    i: f64,
}

fn cases() -> Vec<Case> {
    let text = include_str!("fixtures/mof_conformance.yaml");
    serde_saphyr::from_str(text).expect("fixture parses")
}

fn input(case: &Case) -> MofInput {
    MofInput {
        distribution: case.global.get("distribution").cloned(),
        code: case.global.get("code").cloned(),
        data: case.global.get("data").cloned(),
        document: case.global.get("document").cloned(),
        components: case
            .components
            .iter()
            .map(|c| MofEntry {
                component: MofComponent::from_name(&c.name).expect("known component name"),
                licence: match &c.license {
                    None => ComponentLicence::Inherit,
                    Some(l) => ComponentLicence::Id(l.clone()),
                },
                note: None,
            })
            .collect(),
    }
}

#[test]
fn all_27_test_models_get_the_tools_class_and_progress() {
    let cat = LicenceCatalogue::builtin();
    let cases = cases();
    assert_eq!(cases.len(), 27);
    let mut failures = Vec::new();
    for case in &cases {
        let g = mof::classify(&input(case), &cat, "test");
        let close = |a: f64, b: f64| (a - b).abs() < 0.01;
        let p = g.progress;
        if g.class != case.expect.class
            || !close(p.class_iii, case.expect.iii)
            || !close(p.class_ii, case.expect.ii)
            || !close(p.class_i, case.expect.i)
        {
            failures.push(format!(
                "{}: got class {} ({:.2}/{:.2}/{:.2}), expected class {} ({}/{}/{})",
                case.model,
                g.class,
                p.class_iii,
                p.class_ii,
                p.class_i,
                case.expect.class,
                case.expect.iii,
                case.expect.ii,
                case.expect.i
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "conformance failures:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_class_is_represented_in_the_suite() {
    let classes: Vec<u8> = cases().iter().map(|c| c.expect.class).collect();
    for c in 0..=3 {
        assert!(classes.contains(&c), "class {c} missing from the suite");
    }
}

#[test]
fn research_paper_stands_in_for_the_technical_report() {
    let cat = LicenceCatalogue::builtin();
    let class_iii = |with_report: bool| {
        let mut comps = vec![
            MofComponent::ModelArchitecture,
            MofComponent::ModelParametersFinal,
            MofComponent::EvaluationResults,
            MofComponent::ModelCard,
            MofComponent::DataCard,
        ];
        comps.push(if with_report {
            MofComponent::TechnicalReport
        } else {
            MofComponent::ResearchPaper
        });
        let input = MofInput {
            distribution: Some("Apache-2.0".into()),
            components: comps
                .into_iter()
                .map(|c| MofEntry {
                    component: c,
                    licence: ComponentLicence::Inherit,
                    note: None,
                })
                .collect(),
            ..MofInput::default()
        };
        mof::classify(&input, &cat, "test")
    };
    assert_eq!(class_iii(true).class, 3);
    assert_eq!(class_iii(false).class, 3);
}

#[test]
fn unlicensed_and_non_open_components_do_not_count() {
    let cat = LicenceCatalogue::builtin();
    let input = MofInput {
        distribution: Some("llama3".into()),
        components: vec![
            MofEntry {
                component: MofComponent::ModelParametersFinal,
                licence: ComponentLicence::Inherit,
                note: None,
            },
            MofEntry {
                component: MofComponent::ModelCard,
                licence: ComponentLicence::Unlicensed,
                note: None,
            },
            MofEntry {
                component: MofComponent::ModelArchitecture,
                licence: ComponentLicence::Id("MIT".into()),
                note: None,
            },
        ],
        ..MofInput::default()
    };
    let g = mof::classify(&input, &cat, "test");
    assert_eq!(g.class, 0);
    assert!((g.progress.class_iii - 100.0 / 6.0).abs() < 0.01);
    assert!(
        g.unmet
            .iter()
            .any(|u| u.starts_with("Model parameters (Final)") && u.contains("llama3 is not open"))
    );
    assert!(
        g.unmet
            .iter()
            .any(|u| u.starts_with("Model card") && u.contains("no licence"))
    );
}
