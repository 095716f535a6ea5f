//! The Model Openness Framework classes (III, II, I, or unclassified), computed the way the
//! Model Openness Tool computes them.
//!
//! The rules, restated from the MOT's behaviour (see `shared/research/openness.md` §2):
//! * 17 components, each with a content type (code, data, document), a class and whether it
//!   is required. Classes are cumulative: Class II needs Class III's components too.
//! * A component's licence is its own, else the global licence for its content type, else the
//!   global distribution licence, else none ("unlicensed").
//! * A present component counts when its licence is open: FSF-free, OSI-approved, an open data
//!   licence, or OpenMDW. A licence that is open but not typical for the content type still
//!   counts, with a warning.
//! * The technical report may be replaced by the research paper.
//! * Progress is computed top-down: a lower class shows 0 unless every higher class is
//!   complete. The class is the best one whose progress is 100.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::licence::LicenceCatalogue;

/// A content type of a component.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentType {
    /// Code.
    Code,
    /// Data (including parameters).
    Data,
    /// Documents.
    Document,
}

/// One of the Model Openness Framework's components (ids as in the MOT).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MofComponent {
    /// Training code (7).
    TrainingCode,
    /// Inference code (8).
    InferenceCode,
    /// Model architecture (9).
    ModelArchitecture,
    /// Model parameters, final (10).
    ModelParametersFinal,
    /// Technical report (11).
    TechnicalReport,
    /// Evaluation results (12).
    EvaluationResults,
    /// Model card (13).
    ModelCard,
    /// Data card (14).
    DataCard,
    /// Datasets (15).
    Datasets,
    /// Data preprocessing code (16).
    DataPreprocessingCode,
    /// Model metadata (17).
    ModelMetadata,
    /// Evaluation code (18).
    EvaluationCode,
    /// Evaluation data (19).
    EvaluationData,
    /// Sample model outputs (20).
    SampleModelOutputs,
    /// Research paper (21).
    ResearchPaper,
    /// Supporting libraries and tools (22).
    SupportingLibraries,
    /// Model parameters, intermediate (24).
    ModelParametersIntermediate,
}

use MofComponent as C;

impl MofComponent {
    /// All components.
    pub const ALL: [MofComponent; 17] = [
        C::ModelArchitecture,
        C::ModelParametersFinal,
        C::EvaluationResults,
        C::ModelCard,
        C::DataCard,
        C::TechnicalReport,
        C::SampleModelOutputs,
        C::TrainingCode,
        C::InferenceCode,
        C::EvaluationCode,
        C::EvaluationData,
        C::SupportingLibraries,
        C::Datasets,
        C::DataPreprocessingCode,
        C::ModelParametersIntermediate,
        C::ResearchPaper,
        C::ModelMetadata,
    ];

    /// The component's name as the MOF writes it.
    pub fn name(self) -> &'static str {
        match self {
            C::TrainingCode => "Training code",
            C::InferenceCode => "Inference code",
            C::ModelArchitecture => "Model architecture",
            C::ModelParametersFinal => "Model parameters (Final)",
            C::TechnicalReport => "Technical report",
            C::EvaluationResults => "Evaluation results",
            C::ModelCard => "Model card",
            C::DataCard => "Data card",
            C::Datasets => "Datasets",
            C::DataPreprocessingCode => "Data preprocessing code",
            C::ModelMetadata => "Model metadata",
            C::EvaluationCode => "Evaluation code",
            C::EvaluationData => "Evaluation data",
            C::SampleModelOutputs => "Sample model outputs",
            C::ResearchPaper => "Research paper",
            C::SupportingLibraries => "Supporting libraries and tools",
            C::ModelParametersIntermediate => "Model parameters (Intermediate)",
        }
    }

    /// The component with this name (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        let n = name.trim();
        Self::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(n))
    }

    /// Its content type.
    pub fn content_type(self) -> ContentType {
        match self {
            C::TrainingCode
            | C::InferenceCode
            | C::ModelArchitecture
            | C::DataPreprocessingCode
            | C::EvaluationCode
            | C::SupportingLibraries => ContentType::Code,
            C::ModelParametersFinal
            | C::Datasets
            | C::ModelMetadata
            | C::EvaluationData
            | C::ModelParametersIntermediate => ContentType::Data,
            C::TechnicalReport
            | C::EvaluationResults
            | C::ModelCard
            | C::DataCard
            | C::SampleModelOutputs
            | C::ResearchPaper => ContentType::Document,
        }
    }

    /// The class (3, 2 or 1) that introduces it.
    pub fn class(self) -> u8 {
        match self {
            C::ModelArchitecture
            | C::ModelParametersFinal
            | C::EvaluationResults
            | C::ModelCard
            | C::DataCard
            | C::TechnicalReport
            | C::SampleModelOutputs => 3,
            C::TrainingCode
            | C::InferenceCode
            | C::EvaluationCode
            | C::EvaluationData
            | C::SupportingLibraries => 2,
            C::Datasets
            | C::DataPreprocessingCode
            | C::ModelParametersIntermediate
            | C::ResearchPaper
            | C::ModelMetadata => 1,
        }
    }

    /// Required for its class (the others are optional).
    pub fn required(self) -> bool {
        !matches!(
            self,
            C::SampleModelOutputs | C::SupportingLibraries | C::ModelMetadata
        )
    }
}

/// The licence attached to a component.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum ComponentLicence {
    /// None of its own: the global licence for its type, else the distribution licence.
    Inherit,
    /// Included with no licence.
    Unlicensed,
    /// This licence id.
    Id(String),
}

/// One component of a release and its licence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MofEntry {
    /// The component.
    pub component: MofComponent,
    /// Its licence.
    pub licence: ComponentLicence,
    /// Why it is considered present (the evidence), for people.
    pub note: Option<String>,
}

/// The facts the classification needs: global licences and the components present.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MofInput {
    /// Global licence for the whole release.
    pub distribution: Option<String>,
    /// Global licence for code components.
    pub code: Option<String>,
    /// Global licence for data components.
    pub data: Option<String>,
    /// Global licence for document components.
    pub document: Option<String>,
    /// The components present.
    pub components: Vec<MofEntry>,
}

/// The state of a component in the grade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentState {
    /// Present under an open licence: counts.
    Open,
    /// Present with no licence: does not count.
    Unlicensed,
    /// Present under a licence that is not open: does not count.
    NotOpen,
    /// Not present.
    Missing,
}

/// A component's line in the grade.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ComponentGrade {
    /// The component.
    pub component: MofComponent,
    /// Its MOF name.
    pub name: &'static str,
    /// Class that introduces it.
    pub class: u8,
    /// Required (else optional).
    pub required: bool,
    /// State.
    pub state: ComponentState,
    /// The licence that applied.
    pub licence: Option<String>,
    /// Open but not a licence typical for its content type.
    pub not_type_appropriate: bool,
    /// The evidence.
    pub note: Option<String>,
}

/// The Model Openness Framework grade.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MofGrade {
    /// 3, 2 or 1; 0 when unclassified.
    pub class: u8,
    /// The class's label.
    pub label: &'static str,
    /// Progress towards Class III, II and I in percent.
    pub progress: MofProgress,
    /// Every component's state.
    pub components: Vec<ComponentGrade>,
    /// What keeps the release from the next class.
    pub unmet: Vec<String>,
    /// Where the component facts came from.
    pub basis: String,
}

/// Progress per class.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MofProgress {
    /// Class III.
    pub class_iii: f64,
    /// Class II.
    pub class_ii: f64,
    /// Class I.
    pub class_i: f64,
}

/// The label of a class.
pub fn class_label(class: u8) -> &'static str {
    match class {
        1 => "Class I - Open Science Model",
        2 => "Class II - Open Tooling Model",
        3 => "Class III - Open Model",
        _ => "Unclassified",
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Status {
    Included,
    Invalid,
    Unlicensed,
}

#[derive(Default, Debug)]
struct ClassEval {
    included: Vec<MofComponent>,
    invalid: Vec<MofComponent>,
    unlicensed: Vec<MofComponent>,
    missing: Vec<MofComponent>,
}

impl ClassEval {
    fn status(&self, c: MofComponent) -> Option<Status> {
        if self.included.contains(&c) {
            Some(Status::Included)
        } else if self.invalid.contains(&c) {
            Some(Status::Invalid)
        } else if self.unlicensed.contains(&c) {
            Some(Status::Unlicensed)
        } else {
            None
        }
    }
}

const TYPE_CODE: &[&str] = &[
    "0BSD",
    "AFL-1.1",
    "AFL-1.2",
    "AFL-2.0",
    "AFL-2.1",
    "AFL-3.0",
    "Apache-1.0",
    "Apache-1.1",
    "Apache-2.0",
    "ECL-1.0",
    "ECL-2.0",
    "ISC",
    "MIT",
    "MIT-0",
    "MulanPSL-1.0",
    "MulanPSL-2.0",
    "NCSA",
    "UPL-1.0",
];
const TYPE_DATA: &[&str] = &[
    "CDLA-Permissive-1.0",
    "CDLA-Permissive-2.0",
    "C-UDA-1.0",
    "CC-PDDC",
    "CC0-1.0",
    "PDDL-1.0",
    "OpenMDW-1.0",
];
const TYPE_DOCUMENT: &[&str] = &[
    "CC-BY-4.0",
    "CC-BY-SA-3.0",
    "CC-BY-SA-4.0",
    "FreeBSD-DOC",
    "CC-PDDC",
    "CC0-1.0",
    "Apache-2.0",
    "OpenMDW-1.0",
];

fn type_appropriate(key: &str, t: ContentType) -> bool {
    let list = match t {
        ContentType::Code => TYPE_CODE,
        ContentType::Data => TYPE_DATA,
        ContentType::Document => TYPE_DOCUMENT,
    };
    list.iter().any(|l| l.eq_ignore_ascii_case(key))
}

struct Resolved {
    status: Status,
    licence: String,
    not_type_appropriate: bool,
}

fn resolve_licence(input: &MofInput, entry: &MofEntry) -> Option<String> {
    let nonempty = |s: &Option<String>| s.as_ref().filter(|s| !s.trim().is_empty()).cloned();
    match &entry.licence {
        ComponentLicence::Id(id) => Some(id.clone()).filter(|s| !s.trim().is_empty()),
        ComponentLicence::Unlicensed => None,
        ComponentLicence::Inherit => {
            let typed = match entry.component.content_type() {
                ContentType::Code => nonempty(&input.code),
                ContentType::Data => nonempty(&input.data),
                ContentType::Document => nonempty(&input.document),
            };
            typed.or_else(|| nonempty(&input.distribution))
        }
    }
}

fn judge(input: &MofInput, entry: &MofEntry, cat: &LicenceCatalogue) -> Resolved {
    let Some(licence) = resolve_licence(input, entry) else {
        return Resolved {
            status: Status::Unlicensed,
            licence: "unlicensed".into(),
            not_type_appropriate: false,
        };
    };
    if licence.trim().eq_ignore_ascii_case("unlicensed") {
        return Resolved {
            status: Status::Unlicensed,
            licence,
            not_type_appropriate: false,
        };
    }
    let resolved = cat.resolve(&licence);
    let open = resolved.as_ref().is_some_and(|l| l.mof_open());
    if !open {
        return Resolved {
            status: Status::Invalid,
            licence,
            not_type_appropriate: false,
        };
    }
    let key = resolved.map(|l| l.key).unwrap_or_else(|| licence.clone());
    Resolved {
        status: Status::Included,
        not_type_appropriate: !type_appropriate(&key, entry.component.content_type()),
        licence,
    }
}

fn required_of(class: u8) -> impl Iterator<Item = MofComponent> {
    MofComponent::ALL
        .into_iter()
        .filter(move |c| c.class() == class && c.required())
}

fn required_count(class: u8) -> usize {
    required_of(class).count()
}

/// Classify a release by the MOF rules.
pub fn classify(input: &MofInput, cat: &LicenceCatalogue, basis: &str) -> MofGrade {
    // First entry for a component wins.
    let mut present: BTreeMap<MofComponent, &MofEntry> = BTreeMap::new();
    for e in &input.components {
        present.entry(e.component).or_insert(e);
    }
    let judged: BTreeMap<MofComponent, Resolved> = present
        .iter()
        .map(|(c, e)| (*c, judge(input, e, cat)))
        .collect();

    // evals[0] is unused; evals[k] holds the cumulative evaluation for class k.
    let mut evals: [ClassEval; 4] = Default::default();
    let mut required: Vec<MofComponent> = Vec::new();
    for class in [3u8, 2, 1] {
        required.extend(required_of(class));
        let ev = &mut evals[class as usize];
        for c in &required {
            match judged.get(c) {
                None => ev.missing.push(*c),
                Some(r) => match r.status {
                    Status::Included => ev.included.push(*c),
                    Status::Invalid => ev.invalid.push(*c),
                    Status::Unlicensed => ev.unlicensed.push(*c),
                },
            }
        }
    }
    // The technical report may be omitted if a research paper is provided.
    if evals[3].status(C::TechnicalReport) != Some(Status::Included)
        && let Some(paper) = evals[1].status(C::ResearchPaper)
    {
        for ev in evals.iter_mut().skip(1) {
            if let Some(pos) = ev.missing.iter().position(|c| *c == C::TechnicalReport) {
                ev.missing.remove(pos);
            }
        }
        for class in [2usize, 3] {
            let ev = &mut evals[class];
            match paper {
                Status::Included => ev.included.push(C::ResearchPaper),
                Status::Invalid => ev.invalid.push(C::ResearchPaper),
                Status::Unlicensed => ev.unlicensed.push(C::ResearchPaper),
            }
        }
    }

    let progress_of = |class: u8| -> f64 {
        let mut total = 0usize;
        let mut included = 0usize;
        let mut stopped_at = None;
        for i in (class..=3).rev() {
            total += required_count(i);
            included = evals[i as usize].included.len();
            if included < total {
                stopped_at = Some(i);
                break;
            }
        }
        if stopped_at.is_some_and(|i| i > class) {
            return 0.0;
        }
        if class == 1
            && evals[1].status(C::TechnicalReport) != Some(Status::Included)
            && evals[1].status(C::ResearchPaper) == Some(Status::Included)
        {
            total = total.saturating_sub(1);
        }
        if total == 0 {
            return 0.0;
        }
        let p = included as f64 / total as f64 * 100.0;
        p.min(100.0)
    };
    let progress = MofProgress {
        class_iii: progress_of(3),
        class_ii: progress_of(2),
        class_i: progress_of(1),
    };
    let mut class = 0u8;
    for (c, p) in [
        (3u8, progress.class_iii),
        (2, progress.class_ii),
        (1, progress.class_i),
    ] {
        if p >= 100.0 {
            class = c;
        }
    }

    let components: Vec<ComponentGrade> = MofComponent::ALL
        .into_iter()
        .map(|c| {
            let r = judged.get(&c);
            ComponentGrade {
                component: c,
                name: c.name(),
                class: c.class(),
                required: c.required(),
                state: match r.map(|r| r.status) {
                    None => ComponentState::Missing,
                    Some(Status::Included) => ComponentState::Open,
                    Some(Status::Invalid) => ComponentState::NotOpen,
                    Some(Status::Unlicensed) => ComponentState::Unlicensed,
                },
                licence: r.map(|r| r.licence.clone()),
                not_type_appropriate: r.is_some_and(|r| r.not_type_appropriate),
                note: present.get(&c).and_then(|e| e.note.clone()),
            }
        })
        .collect();

    let next = if class == 0 { 3 } else { class - 1 };
    let mut unmet = Vec::new();
    if next >= 1 {
        let paper_ok = judged
            .get(&C::ResearchPaper)
            .is_some_and(|r| r.status == Status::Included);
        for g in &components {
            if !g.required || g.class < next || g.state == ComponentState::Open {
                continue;
            }
            if g.component == C::TechnicalReport && paper_ok {
                continue;
            }
            let paper_state = judged.get(&C::ResearchPaper).map(|r| r.status);
            let why = match g.state {
                ComponentState::Missing
                    if g.component == C::TechnicalReport
                        && paper_state == Some(Status::Unlicensed) =>
                {
                    "missing (the research paper could stand in, but it has no licence)".to_string()
                }
                ComponentState::Missing
                    if g.component == C::TechnicalReport
                        && paper_state == Some(Status::Invalid) =>
                {
                    "missing (the research paper could stand in, but its licence is not open)"
                        .to_string()
                }
                ComponentState::Missing => "missing".to_string(),
                ComponentState::Unlicensed => "present but with no licence".to_string(),
                ComponentState::NotOpen => format!(
                    "licence {} is not open",
                    g.licence.as_deref().unwrap_or("?")
                ),
                ComponentState::Open => continue,
            };
            unmet.push(format!("{} (class {}): {why}", g.name, roman(g.class)));
        }
    }

    MofGrade {
        class,
        label: class_label(class),
        progress,
        components,
        unmet,
        basis: basis.to_string(),
    }
}

fn roman(c: u8) -> &'static str {
    match c {
        1 => "I",
        2 => "II",
        _ => "III",
    }
}
