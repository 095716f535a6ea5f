//! The report an assessment produces, and the small shared types (sources, findings, problems).

use serde::Serialize;

use crate::card::CardFacts;
use crate::grade::Grades;
use crate::licence::Licence;
use crate::snapshot::RepoType;

/// Version of the report's JSON layout.
pub const REPORT_SCHEMA: &str = "agora-openness/1";

/// Where a finding or a problem came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// A file of the repository.
    File {
        /// Its path.
        path: String,
    },
    /// A field of the card's metadata.
    CardField {
        /// The field name.
        field: String,
    },
    /// A section of the card body.
    CardSection {
        /// The section heading.
        heading: String,
    },
    /// A link in the card.
    CardLink {
        /// The URL.
        url: String,
    },
    /// Card body text.
    CardText {
        /// The sentence.
        excerpt: String,
    },
    /// An open-source library named by `library_name`.
    Library {
        /// The library.
        name: String,
    },
    /// A repository the card refers to.
    Linked {
        /// Its id.
        id: String,
    },
    /// The licence catalogue's record of a licence.
    Licence {
        /// The licence key.
        key: String,
    },
}

impl Source {
    /// A file source.
    pub fn file(path: &str) -> Self {
        Source::File {
            path: path.to_string(),
        }
    }
    /// A card field source.
    pub fn card_field(field: &str) -> Self {
        Source::CardField {
            field: field.to_string(),
        }
    }
    /// A licence clause source.
    pub fn licence(key: &str) -> Self {
        Source::Licence {
            key: key.to_string(),
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::File { path } => write!(f, "file {path}"),
            Source::CardField { field } => write!(f, "card field `{field}`"),
            Source::CardSection { heading } => write!(f, "card section \"{heading}\""),
            Source::CardLink { url } => write!(f, "link {url}"),
            Source::CardText { excerpt } => write!(f, "card text \"{excerpt}\""),
            Source::Library { name } => write!(f, "library {name}"),
            Source::Linked { id } => write!(f, "repository {id}"),
            Source::Licence { key } => write!(f, "licence {key}"),
        }
    }
}

/// Something that could not be read, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Where.
    pub source: Source,
    /// What.
    pub message: String,
}

impl Problem {
    /// A new problem.
    pub fn new(source: Source, message: impl Into<String>) -> Self {
        Self {
            source,
            message: message.into(),
        }
    }
}

/// An artifact of an AI system, as found in a repository.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Artifact {
    /// Final model weights.
    Weights,
    /// Intermediate checkpoints.
    IntermediateCheckpoints,
    /// Model configuration (`config.json`).
    ModelConfig,
    /// Code defining the model architecture.
    ArchitectureCode,
    /// Training code.
    TrainingCode,
    /// Inference code.
    InferenceCode,
    /// Data pre-processing code.
    DataProcessingCode,
    /// Evaluation code.
    EvaluationCode,
    /// Supporting libraries and tools.
    SupportingCode,
    /// Training configuration, trainer state, optimizer state.
    ModelMetadata,
    /// Tokenizer files.
    Tokenizer,
    /// Data files in the repository.
    DataFiles,
    /// Training datasets named by the card.
    DatasetReference,
    /// Evaluation datasets named by the card.
    EvaluationData,
    /// A LICENSE file.
    LicenceFile,
    /// A NOTICE file.
    NoticeFile,
    /// A use policy file.
    UsePolicy,
    /// A research paper.
    ResearchPaper,
    /// A technical report.
    TechnicalReport,
    /// The model card.
    ModelCard,
    /// Data information: a data card or training-data section.
    DataCard,
    /// Description of the training procedure.
    TrainingProcedure,
    /// Evaluation results.
    EvaluationResults,
    /// Sample model outputs.
    SampleOutputs,
    /// A linked code repository.
    CodeRepository,
    /// A Model Openness Framework configuration file.
    MofConfig,
}

/// How an artifact is available.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// In this repository.
    InRepo,
    /// Linked from the card (not verified).
    Linked,
    /// Provided by a named open-source library.
    Library,
    /// Declared in metadata.
    Declared,
}

/// One piece of evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What it is.
    pub artifact: Artifact,
    /// How it is available.
    pub presence: Presence,
    /// A short description (format, name).
    pub detail: String,
    /// Where it was found.
    pub source: Source,
}

/// A licence as declared somewhere, and what the catalogue makes of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LicenceEvidence {
    /// The value as written (an id, a `license_name`, or a file path).
    pub raw: String,
    /// Where.
    pub source: Source,
    /// What the catalogue resolved it to.
    pub resolved: Option<Licence>,
}

/// The licence facts of the repository.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LicenceFacts {
    /// Licences declared in the card.
    pub declared: Vec<LicenceEvidence>,
    /// Licence files and what their text was recognised as.
    pub files: Vec<LicenceEvidence>,
    /// The licence the grades use: the LICENSE text when recognised, else the card's.
    pub effective: Option<Licence>,
    /// Why that one.
    pub reason: String,
}

/// The openness report of one repository revision.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Layout version.
    pub schema: &'static str,
    /// Repository id.
    pub repo_id: String,
    /// Kind of repository.
    pub repo_type: RepoType,
    /// Revision assessed.
    pub revision: Option<String>,
    /// SPDX licence list version of the catalogue.
    pub spdx_list_version: &'static str,
    /// Licence facts.
    pub licence: LicenceFacts,
    /// Card facts.
    pub card: CardFacts,
    /// Evidence found.
    pub evidence: Vec<Finding>,
    /// The grades.
    pub grades: Grades,
    /// What could not be read.
    pub problems: Vec<Problem>,
}

impl Report {
    /// Findings of one artifact kind.
    pub fn findings(&self, artifact: Artifact) -> impl Iterator<Item = &Finding> {
        self.evidence.iter().filter(move |f| f.artifact == artifact)
    }

    /// True when there is evidence of this artifact.
    pub fn has(&self, artifact: Artifact) -> bool {
        self.findings(artifact).next().is_some()
    }
}
