//! Reading a model or dataset card: the YAML front matter (within budgets), the sections of the
//! Markdown body, the links, and claims of openness. Every field that cannot be read becomes a
//! [`Problem`]; nothing here fails.

use serde::Serialize;

use crate::report::{Problem, Source};
use crate::yaml::{self, Yaml};

/// Only this much of a card body is read.
pub const MAX_CARD_BODY: usize = 2 * 1024 * 1024;
/// At most this many links are kept.
pub const MAX_LINKS: usize = 500;
/// At most this many list items are kept per metadata field.
pub const MAX_LIST: usize = 1_000;

/// What a section of the card is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    /// Training data / datasets used.
    TrainingData,
    /// Training procedure, hyperparameters, compute.
    TrainingProcedure,
    /// Evaluation and results.
    Evaluation,
    /// Limitations, bias, risks.
    Limitations,
    /// Intended and out-of-scope uses.
    Uses,
    /// Example outputs.
    Examples,
    /// Licence.
    Licence,
    /// Citation.
    Citation,
    /// Anything else.
    Other,
}

/// One section of the card body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Section {
    /// The heading text.
    pub heading: String,
    /// Heading level (1-6).
    pub level: u8,
    /// What it is about.
    pub kind: SectionKind,
    /// Characters of real content (placeholders such as `[More Information Needed]` removed),
    /// up to the next heading of the same or a higher level.
    pub chars: usize,
}

/// What a link points to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// A paper (arXiv, DOI, ACL Anthology, OpenReview, a PDF).
    Paper,
    /// A code repository (GitHub, GitLab, Codeberg, Bitbucket).
    CodeRepository,
    /// A dataset on a hub.
    Dataset,
    /// Anything else.
    Other,
}

/// A link found in the card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Link {
    /// The URL.
    pub url: String,
    /// What it points to.
    pub kind: LinkKind,
    /// The heading of the section it is in, if any.
    pub section: Option<String>,
}

/// One structured evaluation result from `model-index`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EvalResult {
    /// Dataset id (`dataset.type`), if given.
    pub dataset: Option<String>,
    /// Dataset display name.
    pub dataset_name: Option<String>,
    /// Metric type.
    pub metric: Option<String>,
    /// Metric value as text.
    pub value: Option<String>,
}

/// Facts read from the card.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CardFacts {
    /// A card exists.
    pub present: bool,
    /// The card has a front-matter block that parsed.
    pub metadata_read: bool,
    /// `license` (one id or a list).
    pub license: Vec<String>,
    /// `license_name` (with `license: other`).
    pub license_name: Option<String>,
    /// `license_link`.
    pub license_link: Option<String>,
    /// `datasets`.
    pub datasets: Vec<String>,
    /// `base_model` (one or a list).
    pub base_model: Vec<String>,
    /// `base_model_relation`.
    pub base_model_relation: Option<String>,
    /// `library_name`.
    pub library_name: Option<String>,
    /// `pipeline_tag`.
    pub pipeline_tag: Option<String>,
    /// `tags`.
    pub tags: Vec<String>,
    /// `language`.
    pub language: Vec<String>,
    /// `gated`: `true`, `auto` or `manual` when gated.
    pub gated: Option<String>,
    /// `extra_gated_*` keys present.
    pub gating_fields: Vec<String>,
    /// `extra_gated_eu_disallowed: true`.
    pub eu_disallowed: bool,
    /// `new_version`.
    pub new_version: Option<String>,
    /// Structured results from `model-index`.
    pub eval_results: Vec<EvalResult>,
    /// Sections of the body.
    pub sections: Vec<Section>,
    /// Links in the body.
    pub links: Vec<Link>,
    /// Sentences of the card that call the model "open source".
    pub open_source_claims: Vec<String>,
    /// Lines of the card with attribution texts like "Built with Llama".
    pub attribution_texts: Vec<String>,
    /// First paragraph of the body, for BOM descriptions (at most 500 characters).
    pub summary: Option<String>,
    /// Characters in the body.
    pub body_chars: usize,
}

impl CardFacts {
    /// The datasets named by evaluation results, sorted, each once.
    pub fn eval_dataset_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self
            .eval_results
            .iter()
            .filter_map(|r| r.dataset.as_deref())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The sections of one kind with real content (at least `min_chars`).
    pub fn substantive(&self, kind: SectionKind, min_chars: usize) -> Option<&Section> {
        self.sections
            .iter()
            .find(|s| s.kind == kind && s.chars >= min_chars)
    }

    /// The gating state, if gated.
    pub fn is_gated(&self) -> bool {
        self.gated.is_some()
    }

    /// The body contains `needle` (case-insensitive), as recorded in `attribution_texts`.
    pub fn mentions(&self, needle: &str) -> bool {
        let n = needle.to_lowercase();
        self.attribution_texts
            .iter()
            .any(|t| t.to_lowercase().contains(&n))
    }
}

/// Split a card into its front matter (if any) and body. Returns
/// `(front_matter, body, unterminated)`.
pub fn split_front_matter(text: &str) -> (Option<&str>, &str, bool) {
    let t = text.strip_prefix('\u{feff}').unwrap_or(text);
    let trimmed = t.trim_start_matches([' ', '\t', '\r', '\n']);
    let Some(rest) = trimmed.strip_prefix("---") else {
        return (None, t, false);
    };
    let Some(rest) = rest
        .strip_prefix("\r\n")
        .or_else(|| rest.strip_prefix('\n'))
    else {
        return (None, t, false);
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        let l = line.trim_end_matches(['\r', '\n']);
        if l == "---" || l == "..." {
            let fm = &rest[..offset];
            let body = &rest[offset + line.len()..];
            return (Some(fm), body, false);
        }
        offset += line.len();
    }
    (Some(rest), "", true)
}

/// Read a card. `path` names the card file in sources.
pub fn read_card(text: &str, path: &str, problems: &mut Vec<Problem>) -> CardFacts {
    let mut facts = CardFacts {
        present: true,
        ..CardFacts::default()
    };
    let (fm, body, unterminated) = split_front_matter(text);
    if unterminated {
        problems.push(Problem::new(
            Source::file(path),
            "card metadata block has no closing `---`; metadata not read",
        ));
    } else if let Some(fm) = fm {
        match yaml::parse(fm) {
            Ok(Yaml::Null) => {}
            Ok(v @ Yaml::Map(_)) => {
                facts.metadata_read = true;
                read_metadata(&v, &mut facts, problems);
            }
            Ok(other) => problems.push(Problem::new(
                Source::file(path),
                format!(
                    "card metadata is {}, not a mapping; metadata not read",
                    other.type_name()
                ),
            )),
            Err(e) => problems.push(Problem::new(
                Source::file(path),
                format!("card metadata is not readable YAML ({e}); metadata not read"),
            )),
        }
    }
    let mut body = body;
    if body.len() > MAX_CARD_BODY {
        let mut end = MAX_CARD_BODY;
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        problems.push(Problem::new(
            Source::file(path),
            format!(
                "card body is {} bytes; only the first {MAX_CARD_BODY} were read",
                body.len()
            ),
        ));
        body = &body[..end];
    }
    read_body(body, &mut facts);
    facts
}

fn field_problem(problems: &mut Vec<Problem>, field: &str, msg: String) {
    problems.push(Problem::new(Source::card_field(field), msg));
}

/// A string field. Numbers and booleans are accepted as their text.
fn string_field(v: &Yaml, field: &str, problems: &mut Vec<Problem>) -> Option<String> {
    match v.get(field)? {
        Yaml::Null => None,
        Yaml::Str(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Yaml::Int(_) | Yaml::Float(_) | Yaml::Bool(_) => v.get(field).and_then(Yaml::scalar_text),
        other => {
            field_problem(
                problems,
                field,
                format!(
                    "`{field}` should be a string, found {}; ignored",
                    other.type_name()
                ),
            );
            None
        }
    }
}

/// A field that may be one string or a list of strings.
fn list_field(v: &Yaml, field: &str, problems: &mut Vec<Problem>) -> Vec<String> {
    let Some(val) = v.get(field) else {
        return Vec::new();
    };
    match val {
        Yaml::Null => Vec::new(),
        Yaml::Seq(items) => {
            let mut out = Vec::new();
            let mut bad = 0usize;
            for item in items.iter().take(MAX_LIST) {
                match item.scalar_text() {
                    Some(s) if !s.trim().is_empty() => out.push(s.trim().to_string()),
                    Some(_) => {}
                    None => bad += 1,
                }
            }
            if bad > 0 {
                field_problem(
                    problems,
                    field,
                    format!("`{field}`: {bad} item(s) are not strings; ignored"),
                );
            }
            if items.len() > MAX_LIST {
                field_problem(
                    problems,
                    field,
                    format!(
                        "`{field}` has {} items; only the first {MAX_LIST} were read",
                        items.len()
                    ),
                );
            }
            out
        }
        other => match other.scalar_text() {
            Some(s) if !s.trim().is_empty() => vec![s.trim().to_string()],
            Some(_) => Vec::new(),
            None => {
                field_problem(
                    problems,
                    field,
                    format!(
                        "`{field}` should be a string or a list of strings, found {}; ignored",
                        other.type_name()
                    ),
                );
                Vec::new()
            }
        },
    }
}

fn read_metadata(v: &Yaml, f: &mut CardFacts, problems: &mut Vec<Problem>) {
    f.license = list_field(v, "license", problems);
    f.license_name = string_field(v, "license_name", problems);
    f.license_link = string_field(v, "license_link", problems);
    if f.license_link.is_none() {
        // Dataset cards may still use the legacy field.
        f.license_link = string_field(v, "license_details", problems);
    }
    f.datasets = list_field(v, "datasets", problems);
    f.base_model = list_field(v, "base_model", problems);
    f.base_model_relation = string_field(v, "base_model_relation", problems);
    if let Some(rel) = &f.base_model_relation
        && !matches!(rel.as_str(), "adapter" | "merge" | "quantized" | "finetune")
    {
        field_problem(
            problems,
            "base_model_relation",
            format!(
                "`base_model_relation` {rel:?} is not one of adapter, merge, quantized, finetune"
            ),
        );
    }
    f.library_name = string_field(v, "library_name", problems);
    f.pipeline_tag = string_field(v, "pipeline_tag", problems);
    f.tags = list_field(v, "tags", problems);
    f.language = list_field(v, "language", problems);
    f.new_version = string_field(v, "new_version", problems);
    f.gated = match v.get("gated") {
        None | Some(Yaml::Null) | Some(Yaml::Bool(false)) => None,
        Some(Yaml::Bool(true)) => Some("true".into()),
        Some(Yaml::Str(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "false" | "no" | "" => None,
            "auto" | "manual" | "true" | "yes" => Some(s.trim().to_ascii_lowercase()),
            other => {
                field_problem(
                    problems,
                    "gated",
                    format!("`gated` value {other:?} is not understood; treated as gated"),
                );
                Some(other.to_string())
            }
        },
        Some(other) => {
            field_problem(
                problems,
                "gated",
                format!(
                    "`gated` should be true, false, auto or manual, found {}",
                    other.type_name()
                ),
            );
            None
        }
    };
    if let Yaml::Map(m) = v {
        f.gating_fields = m
            .iter()
            .filter(|(k, _)| k.starts_with("extra_gated_"))
            .map(|(k, _)| k.clone())
            .collect();
    }
    f.eu_disallowed = matches!(v.get("extra_gated_eu_disallowed"), Some(Yaml::Bool(true)));
    if let Some(mi) = v.get("model-index") {
        read_model_index(mi, f, problems);
    }
}

fn read_model_index(mi: &Yaml, f: &mut CardFacts, problems: &mut Vec<Problem>) {
    let Yaml::Seq(models) = mi else {
        field_problem(
            problems,
            "model-index",
            format!(
                "`model-index` should be a list, found {}; ignored",
                mi.type_name()
            ),
        );
        return;
    };
    for model in models {
        let Some(Yaml::Seq(results)) = model.get("results") else {
            continue;
        };
        for r in results {
            let ds = r.get("dataset");
            let dataset = ds.and_then(|d| d.get("type")).and_then(Yaml::scalar_text);
            let dataset_name = ds.and_then(|d| d.get("name")).and_then(Yaml::scalar_text);
            if let Some(Yaml::Seq(metrics)) = r.get("metrics") {
                for m in metrics {
                    if f.eval_results.len() >= MAX_LIST {
                        return;
                    }
                    f.eval_results.push(EvalResult {
                        dataset: dataset.clone(),
                        dataset_name: dataset_name.clone(),
                        metric: m.get("type").and_then(Yaml::scalar_text),
                        value: m.get("value").and_then(Yaml::scalar_text),
                    });
                }
            }
        }
    }
}

fn classify_heading(h: &str) -> SectionKind {
    let h = h.to_lowercase();
    let has = |w: &[&str]| w.iter().any(|x| h.contains(x));
    if has(&[
        "training data",
        "pretraining data",
        "pre-training data",
        "datasets",
        "dataset",
        "data sources",
        "training corpus",
        "data card",
        "datasheet",
    ]) {
        SectionKind::TrainingData
    } else if has(&[
        "training procedure",
        "training details",
        "training hyperparameters",
        "hyperparameters",
        "training setup",
        "training",
        "compute infrastructure",
    ]) {
        SectionKind::TrainingProcedure
    } else if has(&["evaluation", "results", "benchmark", "performance"]) {
        SectionKind::Evaluation
    } else if has(&["limitation", "bias", "risk", "safety"]) {
        SectionKind::Limitations
    } else if has(&["intended use", "uses", "use cases", "out-of-scope"]) {
        SectionKind::Uses
    } else if has(&["example", "sample output", "samples"]) {
        SectionKind::Examples
    } else if has(&["license", "licence"]) {
        SectionKind::Licence
    } else if has(&["citation", "bibtex", "cite"]) {
        SectionKind::Citation
    } else {
        SectionKind::Other
    }
}

const PLACEHOLDERS: &[&str] = &[
    "[more information needed]",
    "[optional]",
    "[needs more information]",
];

/// Characters of real content in a line already lower-cased (placeholders removed).
fn content_chars(lower: &str) -> usize {
    let count = |l: &str| l.chars().filter(|c| !c.is_whitespace()).count();
    // Every placeholder starts with `[`: most lines need no replacing (and no allocation).
    if !lower.contains('[') {
        return count(lower);
    }
    let mut l = lower.to_string();
    for p in PLACEHOLDERS {
        if l.contains(p) {
            l = l.replace(p, "");
        }
    }
    count(&l)
}

fn classify_link(url: &str) -> LinkKind {
    let u = url.to_lowercase();
    let host_path = u
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_start_matches("www.");
    if host_path.starts_with("arxiv.org/")
        || host_path.starts_with("doi.org/")
        || host_path.starts_with("aclanthology.org/")
        || host_path.starts_with("openreview.net/")
        || host_path.starts_with("huggingface.co/papers/")
        || u.ends_with(".pdf")
    {
        LinkKind::Paper
    } else if host_path.starts_with("github.com/")
        || host_path.starts_with("gitlab.com/")
        || host_path.starts_with("codeberg.org/")
        || host_path.starts_with("bitbucket.org/")
    {
        LinkKind::CodeRepository
    } else if host_path.starts_with("huggingface.co/datasets/") {
        LinkKind::Dataset
    } else {
        LinkKind::Other
    }
}

fn extract_urls(line: &str, out: &mut Vec<String>) {
    let mut rest = line;
    while let Some(i) = rest.find("http") {
        let cand = &rest[i..];
        if cand.starts_with("https://") || cand.starts_with("http://") {
            let end = cand
                .find(|c: char| {
                    c.is_whitespace() || matches!(c, ')' | '>' | '"' | '\'' | ']' | '<' | '`' | '|')
                })
                .unwrap_or(cand.len());
            let url = cand[..end].trim_end_matches(['.', ',', ';', ':']);
            if url.len() > "https://".len() {
                out.push(url.to_string());
            }
            rest = &cand[end..];
        } else {
            rest = &cand[4..];
        }
    }
}

const CLAIM_PHRASES: &[&str] = &[
    "open source",
    "open-source",
    "opensource",
    "fully open",
    "truly open",
];
const ATTRIBUTION_PHRASES: &[&str] = &[
    "built with llama",
    "built with meta llama",
    "built with qwen",
    "improved using qwen",
];

fn read_body(body: &str, f: &mut CardFacts) {
    f.body_chars = body.chars().count();
    let mut in_fence = false;
    let mut current: Option<usize> = None;
    let mut enclosing: Vec<usize> = Vec::with_capacity(6);
    let mut summary = String::new();
    let mut summary_done = false;
    let mut urls = Vec::new();
    for line in body.lines() {
        let t = line.trim();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if !in_fence && t.starts_with('#') {
            let level = t.chars().take_while(|&c| c == '#').count();
            let rest = &t[level..];
            if (1..=6).contains(&level) && (rest.is_empty() || rest.starts_with(' ')) {
                let heading = rest.trim().trim_end_matches('#').trim().to_string();
                let level = level as u8;
                f.sections.push(Section {
                    kind: classify_heading(&heading),
                    heading,
                    level,
                    chars: 0,
                });
                current = Some(f.sections.len() - 1);
                // The enclosing sections: pop those this heading closes.
                while enclosing
                    .last()
                    .is_some_and(|&j: &usize| f.sections[j].level >= level)
                {
                    enclosing.pop();
                }
                enclosing.push(f.sections.len() - 1);
                if !summary.is_empty() {
                    summary_done = true;
                }
                continue;
            }
        }
        let lower = t.to_lowercase();
        let n = content_chars(&lower);
        // Content counts for this section and every enclosing one (at most six: one a
        // level), kept on a stack so a card with thousands of sections stays linear.
        for &j in &enclosing {
            f.sections[j].chars += n;
        }
        if !summary_done && !in_fence {
            if t.is_empty() {
                if !summary.is_empty() {
                    summary_done = true;
                }
            } else if !t.starts_with('<') && !t.starts_with('!') && !t.starts_with('|') {
                if !summary.is_empty() {
                    summary.push(' ');
                }
                summary.push_str(t);
            }
        }
        // Every claim phrase contains "open": one search rules most lines out.
        if f.open_source_claims.len() < 20
            && lower.contains("open")
            && CLAIM_PHRASES.iter().any(|p| lower.contains(p))
        {
            f.open_source_claims.push(t.chars().take(300).collect());
        }
        if f.attribution_texts.len() < 20 && ATTRIBUTION_PHRASES.iter().any(|p| lower.contains(p)) {
            f.attribution_texts.push(t.chars().take(300).collect());
        }
        if urls.len() < MAX_LINKS {
            let before = urls.len();
            extract_urls(t, &mut urls);
            let section = if urls.len() > before {
                current
                    .and_then(|i| f.sections.get(i))
                    .map(|s| s.heading.clone())
            } else {
                None
            };
            for u in urls.iter().skip(before) {
                f.links.push(Link {
                    url: u.clone(),
                    kind: classify_link(u),
                    section: section.clone(),
                });
            }
        }
    }
    f.links.truncate(MAX_LINKS);
    if f.tags
        .iter()
        .any(|t| t.eq_ignore_ascii_case("open-source") || t.eq_ignore_ascii_case("opensource"))
    {
        f.open_source_claims.push("tag: open-source".into());
    }
    let summary: String = summary.chars().take(500).collect();
    f.summary = Some(summary).filter(|s| !s.is_empty());
}
