//! Lineage: a derivative (fine-tune, adapter, quantisation, merge) checked against the terms
//! of the models it derives from. The hub resolves `base_model` ids to their reports; this
//! module only compares.

use serde::Serialize;

use crate::grade::{Bucket, Severity};
use crate::licence::{Licence, NamingRule};
use crate::report::Report;

/// A base model's report, as the hub resolved it from `base_model`.
#[derive(Clone, Copy, Debug)]
pub struct BaseReport<'a> {
    /// The base model id as written in `base_model`.
    pub id: &'a str,
    /// Its report.
    pub report: &'a Report,
}

/// One lineage finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineageFinding {
    /// Stable code, e.g. `relicensed`.
    pub code: &'static str,
    /// Severity.
    pub severity: Severity,
    /// The base model concerned.
    pub base: String,
    /// What is wrong.
    pub message: String,
}

/// A restriction of a base model carried into the derivative.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CarriedTerm {
    /// The base model.
    pub base: String,
    /// The base's licence.
    pub licence: String,
    /// The clause carried.
    pub clause: String,
}

/// The result of checking a derivative.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineageCheck {
    /// `base_model_relation`, as declared (the Hub infers it when absent).
    pub relation: Option<String>,
    /// Base models named in the card.
    pub declared_bases: Vec<String>,
    /// Declared bases the hub had no report for.
    pub unresolved_bases: Vec<String>,
    /// Findings.
    pub findings: Vec<LineageFinding>,
    /// Terms carried from the bases.
    pub carried: Vec<CarriedTerm>,
    /// The derivative's bucket once its bases are taken into account: never more open than
    /// its least open base.
    pub effective_bucket: Bucket,
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn same_restrictions(child: &Licence, base: &Licence) -> bool {
    child.key == base.key
        || (child.clauses.use_restrictions && child.clauses.restrictions_flow_down)
}

fn carried_clauses(base: &Licence) -> Vec<String> {
    let c = &base.clauses;
    let mut out = Vec::new();
    if c.use_restrictions && c.restrictions_flow_down {
        out.push(format!(
            "use-based restrictions ({})",
            c.use_policy.as_deref().unwrap_or("use policy")
        ));
    }
    if c.non_commercial {
        out.push("non-commercial use only".into());
    }
    if c.research_only {
        out.push("research use only".into());
    }
    if let Some(m) = c.user_cap_mau {
        out.push(format!("separate licence above {m} monthly active users"));
    }
    if let Some(r) = c.revenue_cap_usd {
        out.push(format!("separate licence above USD {r} annual revenue"));
    }
    for r in &c.excluded_regions {
        out.push(format!("excluded: {r}"));
    }
    for n in &c.naming {
        out.push(match n {
            NamingRule::NamePrefix { prefix } => {
                format!("derived model names begin with \"{prefix}\"")
            }
            NamingRule::Display { text } => format!("display \"{text}\""),
            NamingRule::Notice { text } => format!("include the notice \"{text}\""),
        });
    }
    out
}

/// Check a derivative against its bases' reports.
pub fn check_derivative(child: &Report, bases: &[BaseReport<'_>]) -> LineageCheck {
    let declared = child.card.base_model.clone();
    let unresolved_bases: Vec<String> = declared
        .iter()
        .filter(|d| !bases.iter().any(|b| b.id.eq_ignore_ascii_case(d)))
        .cloned()
        .collect();
    let mut findings = Vec::new();
    let mut carried = Vec::new();
    let child_l = child.licence.effective.as_ref();
    let child_name = child.repo_id.rsplit('/').next().unwrap_or(&child.repo_id);
    let mut bucket = child.grades.bucket.bucket;

    for b in bases {
        let base_bucket = b.report.grades.bucket.bucket;
        let Some(bl) = b.report.licence.effective.as_ref() else {
            findings.push(LineageFinding {
                code: "base-licence-unknown",
                severity: Severity::Warning,
                base: b.id.to_string(),
                message: format!("the licence of base model {} is not known; the derivative's terms cannot be checked", b.id),
            });
            bucket = bucket.min(Bucket::RestrictedWeights);
            continue;
        };
        for clause in carried_clauses(bl) {
            carried.push(CarriedTerm {
                base: b.id.to_string(),
                licence: bl.key.clone(),
                clause,
            });
        }
        if !bl.is_open() {
            bucket = bucket.min(Bucket::RestrictedWeights);
        } else {
            // An open base that is not itself open source AI caps the derivative at open weights.
            bucket = bucket.min(base_bucket.max(Bucket::OpenWeights));
        }
        let c = &bl.clauses;
        if c.no_derivatives {
            findings.push(LineageFinding {
                code: "no-derivatives",
                severity: Severity::Error,
                base: b.id.to_string(),
                message: format!("{} ({}) forbids sharing adapted material; this derivative may not be distributed", b.id, bl.key),
            });
        }
        match child_l {
            None => findings.push(LineageFinding {
                code: "derivative-licence-unknown",
                severity: Severity::Warning,
                base: b.id.to_string(),
                message: format!(
                    "the derivative declares no recognised licence; {} ({}) terms apply",
                    b.id, bl.key
                ),
            }),
            Some(cl) => {
                if c.use_restrictions && c.restrictions_flow_down && !same_restrictions(cl, bl) {
                    findings.push(LineageFinding {
                        code: "relicensed",
                        severity: Severity::Error,
                        base: b.id.to_string(),
                        message: format!(
                            "declared {} but derived from {} under {}, whose use restrictions must flow down to derivatives",
                            cl.key, b.id, bl.key
                        ),
                    });
                } else if (c.non_commercial && !cl.clauses.non_commercial)
                    || (c.research_only && !cl.clauses.research_only)
                {
                    findings.push(LineageFinding {
                        code: "relicensed",
                        severity: Severity::Error,
                        base: b.id.to_string(),
                        message: format!(
                            "declared {} but derived from {} under {}, which allows only {} use",
                            cl.key,
                            b.id,
                            bl.key,
                            if c.research_only {
                                "research"
                            } else {
                                "non-commercial"
                            }
                        ),
                    });
                } else if !bl.is_open() && cl.is_open() && cl.key != bl.key {
                    findings.push(LineageFinding {
                        code: "relicensed",
                        severity: Severity::Error,
                        base: b.id.to_string(),
                        message: format!(
                            "declared the open licence {} but derived from {} under the restrictive {}",
                            cl.key, b.id, bl.key
                        ),
                    });
                } else if bl.clauses.share_alike && cl.key != bl.key {
                    findings.push(LineageFinding {
                        code: "share-alike",
                        severity: Severity::Warning,
                        base: b.id.to_string(),
                        message: format!(
                            "{} is share-alike; the derivative declares {}",
                            bl.key, cl.key
                        ),
                    });
                }
            }
        }
        for rule in &c.naming {
            match rule {
                NamingRule::NamePrefix { prefix } => {
                    if !squash(child_name).starts_with(&squash(prefix)) {
                        findings.push(LineageFinding {
                            code: "naming",
                            severity: Severity::Warning,
                            base: b.id.to_string(),
                            message: format!(
                                "{} requires derived model names to begin with \"{prefix}\"; this model is named \"{child_name}\"",
                                bl.key
                            ),
                        });
                    }
                }
                NamingRule::Display { text } => {
                    if !child.card.mentions(text) {
                        findings.push(LineageFinding {
                            code: "attribution",
                            severity: Severity::Warning,
                            base: b.id.to_string(),
                            message: format!(
                                "{} requires \"{text}\" to be displayed; the card does not show it",
                                bl.key
                            ),
                        });
                    }
                }
                NamingRule::Notice { .. } => {
                    let has_notice = child.has(crate::report::Artifact::NoticeFile)
                        || child
                            .licence
                            .files
                            .iter()
                            .any(|f| f.resolved.as_ref().is_some_and(|l| l.key == bl.key));
                    if !has_notice {
                        findings.push(LineageFinding {
                            code: "notice",
                            severity: Severity::Info,
                            base: b.id.to_string(),
                            message: format!("{} requires its notice and a copy of the licence with redistributions; no NOTICE or matching LICENSE file found", bl.key),
                        });
                    }
                }
            }
        }
    }
    LineageCheck {
        relation: child.card.base_model_relation.clone(),
        declared_bases: declared,
        unresolved_bases,
        findings,
        carried,
        effective_bucket: bucket,
    }
}
