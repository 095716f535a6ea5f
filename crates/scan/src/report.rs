//! Verdicts, findings and the report a scan produces.

use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Version of the rule set (allowlist, denylist, validators). Recorded in every report so a
/// hub can rescan stored files when it changes.
pub const RULESET_VERSION: &str = "agora-scan-rules/2026.11.1";

/// The three outcomes. Ordered: `Safe < Unknown < Unsafe`, so the verdict of a file is the
/// maximum over its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Fully parsed; only allowlisted content.
    Safe,
    /// Not allowlisted, not known dangerous, or a format this scanner cannot inspect: needs review.
    Unknown,
    /// Known gadget, parser anomaly, differential trick, or a limit was hit.
    Unsafe,
}

impl Verdict {
    /// Lower-case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Safe => "safe",
            Verdict::Unknown => "unknown",
            Verdict::Unsafe => "unsafe",
        }
    }
}

/// One reason for a verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable rule identifier, e.g. `pickle.dangerous-global`.
    pub rule: &'static str,
    /// What this finding contributes to the file's verdict.
    pub verdict: Verdict,
    /// Byte offset inside the innermost stream named by `path` (the file itself when `path` is
    /// empty; the decompressed stream or archive member otherwise).
    pub offset: u64,
    /// Where inside the file: archive members and decoded layers joined by `!`; empty for the
    /// file itself.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// Human-readable reason.
    pub reason: String,
    /// How many times the same rule and reason occurred (the first offset is kept).
    #[serde(skip_serializing_if = "is_one")]
    pub count: u64,
}

fn is_one(n: &u64) -> bool {
    *n == 1
}

/// How a pickle global was judged, in the Hugging Face Hub's vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Safety {
    /// On the allowlist.
    Innocuous,
    /// Neither allowlisted nor known dangerous.
    Suspicious,
    /// Known dangerous.
    Dangerous,
}

/// A global (`module.name`) referenced by a pickle, for the Hub's `pickleImports` list.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Import {
    /// Module, after Python 2 name mapping.
    pub module: String,
    /// Attribute name (possibly dotted).
    pub name: String,
    /// Judgement.
    pub safety: Safety,
}

/// The result of scanning one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// [`RULESET_VERSION`] at the time of the scan.
    pub ruleset_version: &'static str,
    /// Overall verdict: the maximum over all findings, `safe` when there are none.
    pub verdict: Verdict,
    /// Format identified from the content (never from a file name).
    pub format: &'static str,
    /// Number of bytes scanned.
    pub size: u64,
    /// Reasons, most severe first.
    pub findings: Vec<Finding>,
    /// Every pickle global seen anywhere in the file.
    pub imports: Vec<Import>,
}

impl Report {
    /// True when the verdict is [`Verdict::Safe`].
    pub fn is_safe(&self) -> bool {
        self.verdict == Verdict::Safe
    }

    /// True when some finding has this rule id.
    pub fn has_rule(&self, rule: &str) -> bool {
        self.findings.iter().any(|f| f.rule == rule)
    }
}

const MAX_FINDINGS: usize = 512;
const MAX_IMPORTS: usize = 4096;

/// Collects findings for one stream; children (archive members, decoded layers) are merged in
/// with a path prefix.
#[derive(Debug, Default)]
pub(crate) struct Sink {
    findings: Vec<Finding>,
    index: HashMap<(&'static str, String, String), usize>,
    imports: BTreeMap<(String, String), Safety>,
    dropped: u64,
}

impl Sink {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn add(
        &mut self,
        rule: &'static str,
        verdict: Verdict,
        offset: u64,
        reason: impl Into<String>,
    ) {
        self.add_at(rule, verdict, offset, String::new(), reason.into(), 1);
    }

    fn add_at(
        &mut self,
        rule: &'static str,
        verdict: Verdict,
        offset: u64,
        path: String,
        reason: String,
        count: u64,
    ) {
        let key = (rule, path, reason);
        if let Some(&i) = self.index.get(&key) {
            let f = &mut self.findings[i];
            f.count = f.count.saturating_add(count);
            if verdict > f.verdict {
                f.verdict = verdict;
            }
            return;
        }
        if self.findings.len() >= MAX_FINDINGS {
            // Keep the verdict honest even when the list is full.
            self.dropped = self.dropped.saturating_add(count);
            if let Some(last) = self.findings.last_mut()
                && verdict > last.verdict
            {
                last.verdict = verdict;
            }
            return;
        }
        let (rule, path, reason) = key;
        self.index
            .insert((rule, path.clone(), reason.clone()), self.findings.len());
        self.findings.push(Finding {
            rule,
            verdict,
            offset,
            path,
            reason,
            count,
        });
    }

    pub(crate) fn import(&mut self, module: &str, name: &str, safety: Safety) {
        if self.imports.len() >= MAX_IMPORTS {
            return;
        }
        let e = self
            .imports
            .entry((module.to_owned(), name.to_owned()))
            .or_insert(safety);
        if safety > *e {
            *e = safety;
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.findings.is_empty()
    }

    /// Whether every finding so far is one of `rules` (and none was dropped).
    pub(crate) fn only(&self, rules: &[&str]) -> bool {
        self.dropped == 0 && self.findings.iter().all(|f| rules.contains(&f.rule))
    }

    pub(crate) fn verdict(&self) -> Verdict {
        self.findings
            .iter()
            .map(|f| f.verdict)
            .max()
            .unwrap_or(Verdict::Safe)
    }

    /// Merge a child's findings under `prefix` (a member name or decoding layer).
    pub(crate) fn merge(&mut self, prefix: &str, child: Sink) {
        for f in child.findings {
            let path = match (prefix.is_empty(), f.path.is_empty()) {
                (true, _) => f.path,
                (false, true) => prefix.to_owned(),
                (false, false) => format!("{prefix}!{}", f.path),
            };
            self.add_at(f.rule, f.verdict, f.offset, path, f.reason, f.count);
        }
        for ((m, n), s) in child.imports {
            self.import(&m, &n, s);
        }
        self.dropped = self.dropped.saturating_add(child.dropped);
    }

    pub(crate) fn into_report(mut self, format: &'static str, size: u64) -> Report {
        if self.dropped > 0 {
            let v = self.verdict();
            let n = self.dropped;
            self.findings.push(Finding {
                rule: "report.truncated",
                verdict: v,
                offset: 0,
                path: String::new(),
                reason: format!("{n} further findings omitted"),
                count: 1,
            });
        }
        let verdict = self.verdict();
        let mut findings = self.findings;
        findings.sort_by_key(|f| std::cmp::Reverse(f.verdict));
        let imports = self
            .imports
            .into_iter()
            .map(|((module, name), safety)| Import {
                module,
                name,
                safety,
            })
            .collect();
        Report {
            ruleset_version: RULESET_VERSION,
            verdict,
            format,
            size,
            findings,
            imports,
        }
    }
}
