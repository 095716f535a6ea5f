//! The licence catalogue: every SPDX licence (through the `spdx` crate), every licence id the
//! Hugging Face Hub accepts, and the AI-specific licences with their clauses as typed data.
//!
//! Lookups are case-insensitive over exact identifiers, never by prefix: `bsd-3-clause` is
//! `BSD-3-Clause`, and `bsd` is the ambiguous BSD *family*, not some BSD licence.

mod data;
mod text;

use std::collections::HashMap;

use serde::Serialize;

pub use text::{TextMatch, normalise_text};

/// How a licence is classed for people and for the grades.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LicenceClass {
    /// Approved by the Open Source Initiative.
    OsiApproved,
    /// Free software by the FSF's list but not OSI-approved (e.g. WTFPL, BSD-3-Clause-Clear).
    FreeSoftware,
    /// An open licence for data or documents (CC-BY, CC-BY-SA, CC0, CDLA, ODbL, PDDL, ...).
    OpenContent,
    /// An open licence written for models, data and weights together (OpenMDW).
    OpenModel,
    /// A Responsible AI Licence: open-ish grant with use-based restrictions that flow down.
    ResponsibleAi,
    /// A vendor's model licence with an acceptable-use policy, caps or naming rules.
    CommunityModel,
    /// Non-commercial use only.
    NonCommercial,
    /// No derivatives may be shared.
    NoDerivatives,
    /// Research use only.
    ResearchOnly,
    /// A data-use agreement limiting what the data may be used for.
    DataUseAgreement,
    /// A Hub *family* id (`bsd`, `gpl`, `lgpl`, `gfdl`, `cc`): which licence is unknown
    /// until the LICENSE file is read.
    Family,
    /// In the SPDX list but neither OSI-approved, FSF-free nor an open content licence.
    OtherListed,
}

/// A naming or notice obligation on redistribution or on derivatives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NamingRule {
    /// A derived model's name must begin with this text.
    NamePrefix {
        /// The required beginning, e.g. `Llama 3` or `Llama`.
        prefix: String,
    },
    /// Products or services built with the model must prominently display this text.
    Display {
        /// The text to display, e.g. `Built with Llama`.
        text: String,
    },
    /// Redistributions must carry a notice file with this text.
    Notice {
        /// The notice text.
        text: String,
    },
}

/// The clauses of a licence that matter for openness, as typed fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Clauses {
    /// Use-based restrictions (an acceptable-use policy, RAIL Attachment A, a prohibited-use
    /// policy). Incompatible with "use for any purpose".
    pub use_restrictions: bool,
    /// Where the use policy lives (a URL or a section name), if the licence names one.
    pub use_policy: Option<String>,
    /// The use policy is incorporated by reference and may change.
    pub use_policy_by_reference: bool,
    /// Restrictions must be passed on, as enforceable terms, to everyone downstream.
    pub restrictions_flow_down: bool,
    /// Licensees above this many monthly active users need a separate licence.
    pub user_cap_mau: Option<u64>,
    /// Licensees above this annual revenue (USD) need a separate licence.
    pub revenue_cap_usd: Option<u64>,
    /// Naming and notice obligations.
    pub naming: Vec<NamingRule>,
    /// Non-commercial use only.
    pub non_commercial: bool,
    /// Adapted material may not be shared.
    pub no_derivatives: bool,
    /// The licensor may restrict use remotely.
    pub remote_restriction: bool,
    /// Research use only.
    pub research_only: bool,
    /// The licence may be revoked by the licensor.
    pub revocable: bool,
    /// Outputs may not be used to improve other models.
    pub no_training_other_models: bool,
    /// Places or kinds of licensee excluded from the grant.
    pub excluded_regions: Vec<String>,
    /// Models trained on the outputs (distillation, synthetic data) count as derivatives.
    pub outputs_make_derivatives: bool,
    /// Copyleft: modified versions must be shared under the same terms.
    pub share_alike: bool,
    /// The licence grants no patent rights.
    pub no_patent_grant: bool,
}

impl Clauses {
    /// True when any clause restricts who may use the work or for what.
    pub fn restricts_use(&self) -> bool {
        self.use_restrictions
            || self.non_commercial
            || self.research_only
            || self.user_cap_mau.is_some()
            || self.revenue_cap_usd.is_some()
            || !self.excluded_regions.is_empty()
            || self.no_training_other_models
    }

    /// True when any clause goes beyond what an open licence may ask.
    pub fn is_restrictive(&self) -> bool {
        self.restricts_use() || self.no_derivatives || self.remote_restriction || self.revocable
    }
}

/// One licence as the catalogue knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Licence {
    /// Canonical key: the SPDX id when there is one, else the Hub id or our own id.
    pub key: String,
    /// Full name.
    pub name: String,
    /// SPDX licence id, when the licence is on the SPDX list.
    pub spdx_id: Option<String>,
    /// The Hub's licence id, when the Hub accepts this licence by id.
    pub hub_id: Option<String>,
    /// Class for people and grades.
    pub class: LicenceClass,
    /// OSI-approved (SPDX list flag).
    pub osi_approved: bool,
    /// FSF free/libre (SPDX list flag).
    pub fsf_libre: bool,
    /// On the Model Openness Tool's list of open data licences.
    pub open_data: bool,
    /// Deprecated SPDX id.
    pub deprecated: bool,
    /// Where the text lives, for licences off the SPDX list.
    pub url: Option<String>,
    /// The clauses that matter.
    pub clauses: Clauses,
    /// A short note on anything the fields do not capture.
    pub notes: Option<String>,
}

impl Licence {
    /// The SPDX expression naming this licence: the id, or a `LicenseRef-` for licences off
    /// the SPDX list.
    pub fn spdx_expression(&self) -> String {
        match &self.spdx_id {
            Some(id) => id.clone(),
            None => {
                let safe: String = self
                    .key
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                            c
                        } else {
                            '-'
                        }
                    })
                    .collect();
                format!("LicenseRef-{safe}")
            }
        }
    }

    /// Open by the Model Openness Tool's rule: FSF-free, OSI-approved, an open data licence,
    /// or OpenMDW.
    pub fn mof_open(&self) -> bool {
        self.fsf_libre
            || self.osi_approved
            || self.open_data
            || self.class == LicenceClass::OpenModel
    }

    /// Acceptable as "OSI-approved terms" for data information and parameters under OSAID 1.0:
    /// an OSI-approved licence, or an open content/model licence, with no restrictive clause.
    pub fn osaid_terms(&self) -> bool {
        let open_kind = self.osi_approved
            || matches!(
                self.class,
                LicenceClass::OpenContent | LicenceClass::OpenModel | LicenceClass::FreeSoftware
            );
        open_kind && !self.clauses.is_restrictive()
    }

    /// Acceptable as an "OSI-approved licence" for code under OSAID 1.0.
    pub fn osaid_code(&self) -> bool {
        self.osi_approved && !self.clauses.is_restrictive()
    }

    /// True when the licence is open (OSI, FSF, open content or open model) and carries no
    /// restrictive clause: what "open weights" requires.
    pub fn is_open(&self) -> bool {
        (self.osi_approved
            || self.fsf_libre
            || matches!(
                self.class,
                LicenceClass::OpenContent | LicenceClass::OpenModel
            ))
            && !self.clauses.is_restrictive()
    }
}

/// The catalogue. Build it once with [`LicenceCatalogue::builtin`] and share it.
pub struct LicenceCatalogue {
    entries: Vec<Licence>,
    /// Lower-cased id, Hub id or alias → index into `entries`.
    index: HashMap<String, usize>,
    /// Lower-cased SPDX id → SPDX list entry.
    spdx: HashMap<String, &'static spdx::License>,
    /// Lower-cased Hub id → canonical key, for Hub ids that are SPDX licences.
    hub_to_spdx: HashMap<&'static str, &'static str>,
    signatures: Vec<text::Signature>,
}

impl LicenceCatalogue {
    /// The built-in catalogue.
    pub fn builtin() -> Self {
        let entries = data::ai_and_hub_entries();
        let mut index = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            index.insert(e.key.to_ascii_lowercase(), i);
            if let Some(h) = &e.hub_id {
                index.insert(h.to_ascii_lowercase(), i);
            }
        }
        for (alias, key) in data::ALIASES {
            if let Some(&i) = index.get(&key.to_ascii_lowercase()) {
                index.insert(alias.to_ascii_lowercase(), i);
            }
        }
        let spdx = spdx::identifiers::LICENSES
            .iter()
            .map(|l| (l.name.to_ascii_lowercase(), l))
            .collect();
        let hub_to_spdx = data::HUB_SPDX_IDS.iter().copied().collect();
        Self {
            entries,
            index,
            spdx,
            hub_to_spdx,
            signatures: text::signatures(),
        }
    }

    /// The SPDX licence list version the catalogue carries.
    pub fn spdx_list_version(&self) -> &'static str {
        spdx::license_version()
    }

    /// Resolve an identifier (SPDX id, Hub id, or a known `license_name`) case-insensitively.
    /// Exact matches only: no prefix or fuzzy guessing.
    pub fn resolve(&self, id: &str) -> Option<Licence> {
        let key = id.trim().to_ascii_lowercase();
        if key.is_empty() {
            return None;
        }
        if let Some(&i) = self.index.get(&key) {
            return self.entries.get(i).cloned();
        }
        if let Some(spdx_key) = self.hub_to_spdx.get(key.as_str()) {
            let mut l = self.spdx_licence(&spdx_key.to_ascii_lowercase())?;
            l.hub_id = Some(key);
            return Some(l);
        }
        let stripped = key.strip_prefix("licenseref-").unwrap_or(&key);
        if stripped != key
            && let Some(&i) = self.index.get(stripped)
        {
            return self.entries.get(i).cloned();
        }
        let mut l = self.spdx_licence(&key)?;
        if data::HUB_SAME_AS_SPDX.contains(&key.as_str()) {
            l.hub_id = Some(key);
        }
        Some(l)
    }

    /// True if the Hub accepts `id` as a `license:` value (case-insensitive).
    pub fn is_hub_id(&self, id: &str) -> bool {
        let key = id.trim().to_ascii_lowercase();
        data::HUB_SAME_AS_SPDX.contains(&key.as_str())
            || self.hub_to_spdx.contains_key(key.as_str())
            || self
                .entries
                .iter()
                .any(|e| e.hub_id.as_deref() == Some(key.as_str()))
            || key == "other"
            || key == "unknown"
    }

    /// Every licence id the Hub accepts, lower-case, in the catalogue's order.
    pub fn hub_ids(&self) -> Vec<String> {
        let mut out: Vec<String> = data::HUB_SAME_AS_SPDX
            .iter()
            .map(|s| s.to_string())
            .collect();
        out.extend(self.hub_to_spdx.keys().map(|s| s.to_string()));
        out.extend(self.entries.iter().filter_map(|e| e.hub_id.clone()));
        out.push("other".into());
        out.push("unknown".into());
        out.sort();
        out.dedup();
        out
    }

    /// The AI-specific and Hub-only licences (everything that is not a plain SPDX entry).
    pub fn ai_licences(&self) -> &[Licence] {
        &self.entries
    }

    /// Recognise a licence from the text of a LICENSE file (key phrases over normalised text).
    pub fn recognise_text(&self, text: &str) -> Option<TextMatch> {
        text::recognise(&self.signatures, text)
    }

    fn spdx_licence(&self, lower: &str) -> Option<Licence> {
        let l = self.spdx.get(lower)?;
        Some(data::from_spdx(l))
    }
}

impl std::fmt::Debug for LicenceCatalogue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LicenceCatalogue")
            .field("ai_and_hub_entries", &self.entries.len())
            .field("spdx_licences", &self.spdx.len())
            .field("spdx_list_version", &self.spdx_list_version())
            .finish()
    }
}

impl Default for LicenceCatalogue {
    fn default() -> Self {
        Self::builtin()
    }
}
