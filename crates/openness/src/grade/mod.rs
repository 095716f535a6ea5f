//! The grades: OSAID 1.0, the MOF class, the seven freedoms, the plain bucket, and
//! open-washing flags. Each carries its reasons.

pub mod mof;

use serde::Serialize;

use crate::card::CardFacts;
use crate::licence::Licence;
use crate::report::{Artifact, Finding, Presence, Source};
use crate::snapshot::RepoType;

pub use mof::{MofGrade, MofInput};

/// All grades of a report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Grades {
    /// OSI Open Source AI Definition 1.0 (models only).
    pub osaid: Option<OsaidGrade>,
    /// Model Openness Framework class (models only).
    pub mof: Option<MofGrade>,
    /// The seven freedoms.
    pub freedoms: Vec<FreedomGrade>,
    /// The plain bucket.
    pub bucket: BucketGrade,
    /// Open-washing and consistency flags.
    pub flags: Vec<Flag>,
}

/// One OSAID requirement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Requirement {
    /// Stable id, e.g. `code.training`.
    pub id: &'static str,
    /// The requirement in words.
    pub title: &'static str,
    /// Met.
    pub met: bool,
    /// Why.
    pub reason: String,
    /// The evidence that decided it.
    pub sources: Vec<Source>,
}

/// The OSAID 1.0 grade.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OsaidGrade {
    /// Passes (every requirement met).
    pub pass: bool,
    /// Every requirement with its state.
    pub requirements: Vec<Requirement>,
    /// Some requirement is met only by linked (unverified) evidence.
    pub relies_on_links: bool,
}

impl OsaidGrade {
    /// The requirements not met.
    pub fn unmet(&self) -> impl Iterator<Item = &Requirement> {
        self.requirements.iter().filter(|r| !r.met)
    }
}

/// One of the seven freedoms of the open source spectrum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Freedom {
    /// Study how the system works.
    Study,
    /// Use for any purpose.
    Use,
    /// Access the artifacts.
    Access,
    /// Copy.
    Copy,
    /// Modify.
    Modify,
    /// Distribute, modified or not.
    Distribute,
    /// Collaborate: build on it and share back.
    Collaborate,
}

/// The state of a freedom.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FreedomState {
    /// Granted.
    Allowed,
    /// Restricted by a clause or a missing artifact.
    Restricted,
    /// Not known (no licence, or an unrecognised one).
    Unknown,
}

/// A freedom's grade.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FreedomGrade {
    /// The freedom.
    pub freedom: Freedom,
    /// Its state.
    pub state: FreedomState,
    /// The clause or missing artifact that decides it.
    pub reason: String,
    /// Where that comes from.
    pub source: Option<Source>,
}

/// The plain bucket for people. Models: open source AI ⊂ open weights ⊂ restricted weights ⊂
/// closed. Datasets: open data, restricted data, closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    /// No weights (or no data) available.
    Closed,
    /// Dataset files under restrictive or unknown terms, or gated.
    RestrictedData,
    /// Weights downloadable, but under restrictive or unknown terms, or gated.
    RestrictedWeights,
    /// Dataset files under open terms.
    OpenData,
    /// Weights under open terms, but not open source AI.
    OpenWeights,
    /// Passes OSAID 1.0.
    OpenSourceAi,
}

impl Bucket {
    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Bucket::OpenSourceAi => "open source AI",
            Bucket::OpenWeights => "open weights",
            Bucket::RestrictedWeights => "restricted weights",
            Bucket::OpenData => "open data",
            Bucket::RestrictedData => "restricted data",
            Bucket::Closed => "closed",
        }
    }
}

/// The bucket with its reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BucketGrade {
    /// The bucket.
    pub bucket: Bucket,
    /// Why.
    pub reason: String,
}

/// Severity of a flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Misleading or inconsistent.
    Warning,
    /// A licence violation or a false claim.
    Error,
}

/// An open-washing or consistency flag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Flag {
    /// Stable code, e.g. `open-source-claim`.
    pub code: &'static str,
    /// Severity.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// Where it shows.
    pub source: Option<Source>,
}

/// The facts the grades are computed from.
pub struct Facts<'a> {
    /// Kind of repository.
    pub repo_type: RepoType,
    /// The effective licence.
    pub licence: Option<&'a Licence>,
    /// The licence raw value when it could not be resolved (e.g. `other` + name).
    pub unresolved_licence: Option<&'a str>,
    /// Evidence.
    pub evidence: &'a [Finding],
    /// Card facts.
    pub card: &'a CardFacts,
    /// The licences declared in the card and by LICENSE files disagree.
    pub licence_conflict: Option<String>,
}

impl Facts<'_> {
    fn find(&self, a: Artifact) -> Option<&Finding> {
        self.evidence.iter().find(|f| f.artifact == a)
    }
    fn has(&self, a: Artifact) -> bool {
        self.find(a).is_some()
    }
    /// A linked code repository that does not look inference-only.
    fn training_repo_link(&self) -> Option<&Finding> {
        self.evidence.iter().find(|f| {
            f.artifact == Artifact::CodeRepository && {
                let d = f.detail.to_lowercase();
                ![
                    "inference",
                    "serve",
                    "demo",
                    "chat",
                    "app",
                    "cookbook",
                    "examples",
                ]
                .iter()
                .any(|w| d.contains(w))
            }
        })
    }
    fn training_code(&self) -> Option<&Finding> {
        self.find(Artifact::TrainingCode)
            .or_else(|| self.training_repo_link())
    }
    fn run_code(&self) -> Option<&Finding> {
        self.find(Artifact::InferenceCode)
            .or_else(|| self.find(Artifact::ArchitectureCode))
            .or_else(|| self.find(Artifact::CodeRepository))
    }
    fn dataset_listing(&self) -> Option<&Finding> {
        self.find(Artifact::DatasetReference)
            .or_else(|| self.find(Artifact::DataFiles))
    }
    fn data_description(&self) -> Option<&Finding> {
        self.find(Artifact::DataCard)
            .or_else(|| self.find(Artifact::TechnicalReport))
            .or_else(|| self.find(Artifact::ResearchPaper))
    }
    fn main_artifact(&self) -> Option<&Finding> {
        match self.repo_type {
            RepoType::Dataset => self.find(Artifact::DataFiles),
            _ => self.find(Artifact::Weights),
        }
    }
}

fn src(f: Option<&Finding>) -> Vec<Source> {
    f.map(|f| vec![f.source.clone()]).unwrap_or_default()
}

fn describe(f: &Finding) -> String {
    let how = match f.presence {
        Presence::InRepo => "in the repository",
        Presence::Linked => "linked from the card, not verified",
        Presence::Library => "provided by an open-source library",
        Presence::Declared => "declared in the card",
    };
    format!("{} ({how})", f.detail)
}

fn licence_name(l: Option<&Licence>, unresolved: Option<&str>) -> String {
    match (l, unresolved) {
        (Some(l), _) => l.key.clone(),
        (None, Some(u)) => format!("{u} (not recognised)"),
        (None, None) => "no licence".into(),
    }
}

/// The deciding restrictive clause of a licence, in words.
pub fn restrictive_clause(l: &Licence) -> Option<String> {
    let c = &l.clauses;
    if c.research_only {
        return Some(format!("{}: research use only", l.key));
    }
    if c.non_commercial {
        return Some(format!("{}: non-commercial use only", l.key));
    }
    if c.use_restrictions {
        return Some(format!(
            "{}: use-based restrictions ({})",
            l.key,
            c.use_policy.as_deref().unwrap_or("use policy")
        ));
    }
    if let Some(m) = c.user_cap_mau {
        return Some(format!(
            "{}: licensees above {m} monthly active users need a separate licence",
            l.key
        ));
    }
    if let Some(r) = c.revenue_cap_usd {
        return Some(format!(
            "{}: licensees above USD {r} annual revenue need a separate licence",
            l.key
        ));
    }
    if let Some(r) = c.excluded_regions.first() {
        return Some(format!("{}: excluded: {r}", l.key));
    }
    if c.no_training_other_models {
        return Some(format!("{}: outputs may not improve other models", l.key));
    }
    if c.no_derivatives {
        return Some(format!("{}: no derivatives may be shared", l.key));
    }
    if c.remote_restriction {
        return Some(format!("{}: the licensor may restrict use remotely", l.key));
    }
    if c.revocable {
        return Some(format!("{}: the licence is revocable", l.key));
    }
    None
}

/// OSAID 1.0: data information, code and parameters, each under open terms.
pub fn osaid(f: &Facts) -> OsaidGrade {
    let mut reqs = Vec::new();
    let lic = f.licence;
    let lname = licence_name(lic, f.unresolved_licence);
    let mut relies_on_links = false;

    let weights = f.find(Artifact::Weights);
    reqs.push(Requirement {
        id: "parameters",
        title: "Parameters: the model weights are available",
        met: weights.is_some(),
        reason: weights.map_or("no weights file in the repository".into(), describe),
        sources: src(weights),
    });
    let terms_ok = lic.is_some_and(Licence::osaid_terms);
    let terms_reason = match lic {
        None => format!("{lname}: terms unknown"),
        Some(l) => match restrictive_clause(l) {
            Some(c) => c,
            None if terms_ok => format!("{} is open (OSI-approved or open terms)", l.key),
            None => format!("{} is not an OSI-approved licence or open terms", l.key),
        },
    };
    let lic_src = lic
        .map(|l| vec![Source::licence(&l.key)])
        .unwrap_or_default();
    reqs.push(Requirement {
        id: "parameters.terms",
        title: "Parameters are made available under OSI-approved terms",
        met: terms_ok,
        reason: terms_reason.clone(),
        sources: lic_src.clone(),
    });

    let training = f.training_code();
    if training.is_some_and(|t| t.presence == Presence::Linked) {
        relies_on_links = true;
    }
    reqs.push(Requirement {
        id: "code.training",
        title: "Code: the complete code used to train the system (incl. data processing)",
        met: training.is_some(),
        reason: training.map_or(
            "no training code in the repository and no code repository linked".into(),
            describe,
        ),
        sources: src(training),
    });
    let run = f.run_code();
    reqs.push(Requirement {
        id: "code.inference",
        title: "Code: inference code and model architecture",
        met: run.is_some(),
        reason: run.map_or(
            "no inference or architecture code, and no open library named".into(),
            describe,
        ),
        sources: src(run),
    });
    let code_ok = lic.is_some_and(Licence::osaid_code);
    reqs.push(Requirement {
        id: "code.licence",
        title: "Code is released under OSI-approved licences",
        met: code_ok,
        reason: match lic {
            Some(l) if code_ok => format!("{} is OSI-approved", l.key),
            Some(l) => {
                restrictive_clause(l).unwrap_or_else(|| format!("{} is not OSI-approved", l.key))
            }
            None => format!("{lname}: licence unknown"),
        },
        sources: lic_src.clone(),
    });

    let listing = f.dataset_listing();
    let description = f.data_description();
    if description.is_some_and(|d| d.presence == Presence::Linked) {
        relies_on_links = true;
    }
    let data_met = listing.is_some() && description.is_some();
    let data_reason = match (listing, description) {
        (Some(l), Some(d)) => format!(
            "training data listed: {}; described: {}",
            describe(l),
            describe(d)
        ),
        (None, Some(d)) => format!(
            "training data described ({}) but not listed (no `datasets` and no data files)",
            describe(d)
        ),
        (Some(l), None) => format!(
            "training data listed ({}) but not described (no data card, training-data section or paper)",
            describe(l)
        ),
        (None, None) => {
            "no information about the training data: no `datasets`, data files, data card or paper"
                .into()
        }
    };
    let mut data_src = src(listing);
    data_src.extend(src(description));
    reqs.push(Requirement {
        id: "data_information",
        title: "Data information: enough detail on the training data to build a substantially equivalent system",
        met: data_met,
        reason: data_reason,
        sources: data_src,
    });
    reqs.push(Requirement {
        id: "data_information.terms",
        title: "Data information is made available under OSI-approved terms",
        met: terms_ok,
        reason: terms_reason,
        sources: lic_src,
    });

    OsaidGrade {
        pass: reqs.iter().all(|r| r.met),
        requirements: reqs,
        relies_on_links,
    }
}

fn fg(
    freedom: Freedom,
    state: FreedomState,
    reason: impl Into<String>,
    source: Option<Source>,
) -> FreedomGrade {
    FreedomGrade {
        freedom,
        state,
        reason: reason.into(),
        source,
    }
}

/// The seven freedoms.
pub fn freedoms(f: &Facts) -> Vec<FreedomGrade> {
    use Freedom::*;
    use FreedomState::*;
    let lic = f.licence;
    let lsrc = lic.map(|l| Source::licence(&l.key));
    let unknown_reason = match f.unresolved_licence {
        Some(u) => format!("licence {u:?} is not recognised; its terms are unknown"),
        None => "no licence found in the card or a LICENSE file".into(),
    };
    let main = f.main_artifact();
    let main_name = if f.repo_type == RepoType::Dataset {
        "data files"
    } else {
        "weights"
    };
    let mut out = Vec::new();

    // Study: the artifacts needed to understand how it was made.
    let mut missing = Vec::new();
    if main.is_none() {
        missing.push(main_name);
    }
    if f.repo_type != RepoType::Dataset {
        if f.training_code().is_none() {
            missing.push("training code");
        }
        if f.dataset_listing().is_none() || f.data_description().is_none() {
            missing.push("training data information");
        }
    } else if f.data_description().is_none() && !f.card.present {
        missing.push("a data card");
    }
    out.push(if missing.is_empty() {
        fg(
            Study,
            Allowed,
            format!("{main_name}, code and data information are available"),
            main.map(|m| m.source.clone()),
        )
    } else {
        fg(
            Study,
            Restricted,
            format!("missing: {}", missing.join(", ")),
            None,
        )
    });

    // Use.
    out.push(match lic {
        None => fg(Use, Unknown, unknown_reason.clone(), None),
        Some(l) => {
            if l.clauses.restricts_use() {
                fg(
                    Use,
                    Restricted,
                    restrictive_clause(l).unwrap_or_default(),
                    lsrc.clone(),
                )
            } else if l.class == crate::licence::LicenceClass::Family {
                fg(
                    Use,
                    Unknown,
                    format!("{} names a licence family; the LICENSE file decides", l.key),
                    lsrc.clone(),
                )
            } else {
                fg(
                    Use,
                    Allowed,
                    format!("{} sets no condition on use", l.key),
                    lsrc.clone(),
                )
            }
        }
    });

    // Access.
    out.push(if main.is_none() {
        fg(
            Access,
            Restricted,
            format!("no {main_name} in the repository"),
            None,
        )
    } else if let Some(g) = &f.card.gated {
        fg(
            Access,
            Restricted,
            format!("gated ({g}): downloads need the owner's approval or an agreement"),
            Some(Source::card_field("gated")),
        )
    } else {
        fg(
            Access,
            Allowed,
            format!("{main_name} downloadable without approval"),
            main.map(|m| m.source.clone()),
        )
    });

    // Copy.
    out.push(match lic {
        None => fg(Copy, Unknown, unknown_reason.clone(), None),
        Some(l) if l.clauses.research_only || l.clauses.non_commercial => fg(
            Copy,
            Restricted,
            restrictive_clause(l).unwrap_or_default(),
            lsrc.clone(),
        ),
        Some(l) if l.clauses.revocable => fg(
            Copy,
            Restricted,
            format!("{}: the licence is revocable", l.key),
            lsrc.clone(),
        ),
        Some(l) if l.class == crate::licence::LicenceClass::Family => fg(
            Copy,
            Unknown,
            format!("{} names a licence family", l.key),
            lsrc.clone(),
        ),
        Some(l) => fg(
            Copy,
            Allowed,
            format!("{} allows copies (with its notices)", l.key),
            lsrc.clone(),
        ),
    });

    // Modify.
    out.push(match lic {
        None => fg(Modify, Unknown, unknown_reason.clone(), None),
        Some(l) if l.clauses.no_derivatives => fg(Modify, Restricted, format!("{}: adaptations may not be shared", l.key), lsrc.clone()),
        Some(l) if l.clauses.research_only => fg(Modify, Restricted, format!("{}: modification for research only", l.key), lsrc.clone()),
        Some(_) if main.is_none() => fg(Modify, Restricted, format!("no {main_name} to modify"), None),
        Some(l) if l.class == crate::licence::LicenceClass::Family => {
            fg(Modify, Unknown, format!("{} names a licence family", l.key), lsrc.clone())
        }
        Some(l) => {
            if f.repo_type != RepoType::Dataset && f.training_code().is_none() {
                fg(Modify, Allowed, format!("{} allows modification; fine-tuning is possible but retraining is not (no training code)", l.key), lsrc.clone())
            } else {
                fg(Modify, Allowed, format!("{} allows modification", l.key), lsrc.clone())
            }
        }
    });

    // Distribute.
    out.push(match lic {
        None => fg(Distribute, Unknown, unknown_reason.clone(), None),
        Some(l) => {
            let c = &l.clauses;
            let prefix = c.naming.iter().find_map(|n| match n {
                crate::licence::NamingRule::NamePrefix { prefix } => Some(prefix.clone()),
                _ => None,
            });
            if c.no_derivatives || c.non_commercial || c.research_only {
                fg(
                    Distribute,
                    Restricted,
                    restrictive_clause(l).unwrap_or_default(),
                    lsrc.clone(),
                )
            } else if c.restrictions_flow_down {
                fg(
                    Distribute,
                    Restricted,
                    format!(
                        "{}: redistributions and derivatives must carry its use restrictions",
                        l.key
                    ),
                    lsrc.clone(),
                )
            } else if let Some(p) = prefix {
                fg(
                    Distribute,
                    Restricted,
                    format!(
                        "{}: derived models must be named beginning with \"{p}\"",
                        l.key
                    ),
                    lsrc.clone(),
                )
            } else if c.user_cap_mau.is_some() || c.revenue_cap_usd.is_some() {
                fg(
                    Distribute,
                    Restricted,
                    restrictive_clause(l).unwrap_or_default(),
                    lsrc.clone(),
                )
            } else if l.class == crate::licence::LicenceClass::Family {
                fg(
                    Distribute,
                    Unknown,
                    format!("{} names a licence family", l.key),
                    lsrc.clone(),
                )
            } else {
                fg(
                    Distribute,
                    Allowed,
                    format!("{} allows redistribution, modified or not", l.key),
                    lsrc.clone(),
                )
            }
        }
    });

    // Collaborate.
    out.push(match lic {
        None => fg(Collaborate, Unknown, unknown_reason, None),
        Some(l) => {
            let c = &l.clauses;
            if c.no_training_other_models {
                fg(
                    Collaborate,
                    Restricted,
                    format!("{}: outputs may not be used to improve other models", l.key),
                    lsrc,
                )
            } else if c.outputs_make_derivatives {
                fg(
                    Collaborate,
                    Restricted,
                    format!(
                        "{}: models trained on its outputs fall under its terms",
                        l.key
                    ),
                    lsrc,
                )
            } else if !l.is_open() {
                fg(
                    Collaborate,
                    Restricted,
                    restrictive_clause(l)
                        .unwrap_or_else(|| format!("{} is not an open licence", l.key)),
                    lsrc,
                )
            } else if f.repo_type != RepoType::Dataset && f.training_code().is_none() {
                fg(
                    Collaborate,
                    Restricted,
                    "no training code: others cannot rebuild or improve the model upstream",
                    None,
                )
            } else {
                fg(
                    Collaborate,
                    Allowed,
                    format!("{} is open and the code is available to build on", l.key),
                    lsrc,
                )
            }
        }
    });
    out
}

/// The plain bucket.
pub fn bucket(f: &Facts, osaid: Option<&OsaidGrade>) -> BucketGrade {
    let dataset = f.repo_type == RepoType::Dataset;
    let lic = f.licence;
    if osaid.is_some_and(|o| o.pass) {
        return BucketGrade {
            bucket: Bucket::OpenSourceAi,
            reason: "passes the Open Source AI Definition 1.0".into(),
        };
    }
    let Some(main) = f.main_artifact() else {
        return BucketGrade {
            bucket: Bucket::Closed,
            reason: if dataset {
                "no data files in the repository".into()
            } else {
                "no weights in the repository".into()
            },
        };
    };
    let (open_b, restricted_b) = if dataset {
        (Bucket::OpenData, Bucket::RestrictedData)
    } else {
        (Bucket::OpenWeights, Bucket::RestrictedWeights)
    };
    let what = if dataset { "data" } else { "weights" };
    if let Some(g) = &f.card.gated {
        return BucketGrade {
            bucket: restricted_b,
            reason: format!("{what} are gated ({g})"),
        };
    }
    match lic {
        Some(l) if l.is_open() => BucketGrade {
            bucket: open_b,
            reason: if dataset {
                format!("data files ({}) under {}", main.detail, l.key)
            } else {
                format!(
                    "weights ({}) under {}, but not open source AI: {}",
                    main.detail,
                    l.key,
                    osaid
                        .map(|o| o.unmet().map(|r| r.id).collect::<Vec<_>>().join(", "))
                        .unwrap_or_default()
                )
            },
        },
        Some(l) => BucketGrade {
            bucket: restricted_b,
            reason: restrictive_clause(l)
                .unwrap_or_else(|| format!("{} is not an open licence", l.key)),
        },
        None => BucketGrade {
            bucket: restricted_b,
            reason: match f.unresolved_licence {
                Some(u) => format!("{what} under an unrecognised licence ({u})"),
                None => format!("{what} with no licence"),
            },
        },
    }
}

/// Open-washing and consistency flags.
pub fn flags(f: &Facts, osaid: Option<&OsaidGrade>) -> Vec<Flag> {
    let mut out = Vec::new();
    let claim = f.card.open_source_claims.first();
    let claim_src = claim.map(|c| Source::CardText { excerpt: c.clone() });
    if let (Some(_), Some(o)) = (claim, osaid)
        && !o.pass
    {
        let unmet: Vec<&str> = o.unmet().map(|r| r.id).collect();
        out.push(Flag {
            code: "open-source-claim",
            severity: Severity::Error,
            message: format!(
                "the card calls this open source, but it fails the Open Source AI Definition ({})",
                unmet.join(", ")
            ),
            source: claim_src.clone(),
        });
    }
    if claim.is_some() && f.card.is_gated() {
        out.push(Flag {
            code: "gated-open-claim",
            severity: Severity::Warning,
            message: "the card claims openness but downloads are gated".into(),
            source: Some(Source::card_field("gated")),
        });
    }
    if claim.is_some() && f.licence.is_none() {
        out.push(Flag {
            code: "open-claim-unknown-licence",
            severity: Severity::Warning,
            message: "the card claims openness but its licence is missing or not recognised".into(),
            source: claim_src.clone(),
        });
    }
    if let Some(l) = f.licence
        && l.is_open()
        && f.repo_type != RepoType::Dataset
        && f.has(Artifact::Weights)
        && osaid.is_some_and(|o| !o.pass)
    {
        out.push(Flag {
            code: "open-weights-only",
            severity: Severity::Info,
            message: format!(
                "weights under {} without the training code and data information OSAID requires: open weights, not open source AI",
                l.key
            ),
            source: Some(Source::licence(&l.key)),
        });
    }
    if let Some(c) = &f.licence_conflict {
        out.push(Flag {
            code: "licence-mismatch",
            severity: Severity::Warning,
            message: c.clone(),
            source: Some(Source::card_field("license")),
        });
    }
    if let Some(l) = f.licence {
        if l.clauses.use_policy_by_reference {
            out.push(Flag {
                code: "policy-by-reference",
                severity: Severity::Info,
                message: format!(
                    "{} incorporates a use policy by reference ({}); it can change after release",
                    l.key,
                    l.clauses.use_policy.as_deref().unwrap_or("use policy")
                ),
                source: Some(Source::licence(&l.key)),
            });
        }
        if l.clauses.remote_restriction {
            out.push(Flag {
                code: "remote-restriction",
                severity: Severity::Info,
                message: format!(
                    "{}: the licensor reserves the right to restrict use remotely",
                    l.key
                ),
                source: Some(Source::licence(&l.key)),
            });
        }
        for r in &l.clauses.excluded_regions {
            out.push(Flag {
                code: "region-exclusion",
                severity: Severity::Info,
                message: format!("{}: {r}", l.key),
                source: Some(Source::licence(&l.key)),
            });
        }
    }
    if f.card.eu_disallowed {
        out.push(Flag {
            code: "eu-disallowed",
            severity: Severity::Info,
            message:
                "access is refused to users in the European Union (`extra_gated_eu_disallowed`)"
                    .into(),
            source: Some(Source::card_field("extra_gated_eu_disallowed")),
        });
    }
    out
}
