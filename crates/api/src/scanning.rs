//! The scanner in the hub: every file of every commit has a verdict before the commit becomes
//! visible. LFS content is scanned in the same pass over its bytes as the sha256 hash; regular
//! files when their commit arrives; anything without a verdict of the current rule set (content
//! stored before, or by older rules) is scanned from storage at commit time.
//!
//! An `unsafe` file fails its commit, naming the file and the reason, unless the repository's
//! policy is to flag; `unknown` is accepted and flagged. Verdicts are stored by content.

use std::collections::HashMap;

use agora_repo::{FileEntry, Op, git::Kind, git::ObjectId, lfs::content_key};
use agora_scan::{RULESET_VERSION, Report, Scanner, Verdict};
use agora_storage::model::{Id, Repo, ScanRecord};
use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use futures::StreamExt;
use serde_json::{Value, json};

use crate::{
    AppState,
    auth::{Caller, find_repo},
    error::{ApiError, ApiResult},
    repo_type,
};

pub fn lfs_id(oid: &str) -> String {
    format!("sha256:{oid}")
}

pub fn git_id(blob: &ObjectId) -> String {
    format!("git:{blob}")
}

/// The content id a file's verdict is stored under.
pub fn content_id(f: &FileEntry) -> String {
    match &f.lfs {
        Some(p) => lfs_id(&p.oid),
        None => git_id(&f.oid),
    }
}

pub async fn store(state: &AppState, content_id: String, report: &Report) -> ApiResult<ScanRecord> {
    let rec = ScanRecord {
        content_id,
        verdict: report.verdict.as_str().to_owned(),
        ruleset: report.ruleset_version.to_owned(),
        report: serde_json::to_string(report).map_err(ApiError::internal)?,
    };
    state.meta.put_scan(&rec).await?;
    if report.verdict != Verdict::Safe {
        tracing::warn!(content = %rec.content_id, verdict = %rec.verdict, "scanner flagged content");
    }
    Ok(rec)
}

/// Scans stored content by streaming it through the scanner.
async fn scan_stored(state: &AppState, key: &str) -> ApiResult<Report> {
    let mut scanner = Scanner::new();
    let mut s = crate::xet::read(state, key, None).await?;
    while let Some(chunk) = s.next().await {
        scanner.update(&chunk.map_err(ApiError::internal)?);
    }
    Ok(scanner.finish())
}

/// One piece of content a commit adds.
struct Added {
    path: String,
    content_id: String,
    key: String,
    inline: Option<bytes::Bytes>,
}

/// Checks every file `ops` add. Runs before the commit: an unsafe file stops it.
pub async fn gate(state: &AppState, repo: &Repo, ops: &[Op]) -> ApiResult<()> {
    let mut added = Vec::new();
    for op in ops {
        match op {
            Op::Put { path, content } => {
                let id = ObjectId::hash(Kind::Blob, content);
                added.push(Added {
                    path: path.clone(),
                    content_id: git_id(&id),
                    key: id.key(),
                    inline: Some(content.clone()),
                });
            }
            Op::PutLfs { path, oid, .. } => {
                let oid = oid.to_ascii_lowercase();
                if agora_repo::lfs::is_sha256(&oid) {
                    added.push(Added {
                        path: path.clone(),
                        content_id: lfs_id(&oid),
                        key: content_key(&oid),
                        inline: None,
                    });
                }
            }
            Op::Copy {
                path,
                src,
                src_path,
            } => {
                if let Ok(Some(agora_repo::Entry::File(f))) =
                    state.engine.entry(src, src_path).await
                {
                    let key = match &f.lfs {
                        Some(p) => p.key(),
                        None => f.oid.key(),
                    };
                    added.push(Added {
                        path: path.clone(),
                        content_id: content_id(&f),
                        key,
                        inline: None,
                    });
                }
            }
            Op::DeleteFile { .. } | Op::DeleteFolder { .. } => {}
        }
    }
    let ids: Vec<String> = added.iter().map(|a| a.content_id.clone()).collect();
    let known: HashMap<String, ScanRecord> = state
        .meta
        .scans(&ids)
        .await?
        .into_iter()
        .filter(|r| r.ruleset == RULESET_VERSION)
        .map(|r| (r.content_id.clone(), r))
        .collect();
    for a in added {
        let rec = match known.get(&a.content_id) {
            Some(r) => r.clone(),
            None => {
                let report = match a.inline {
                    Some(bytes) => {
                        tokio::task::spawn_blocking(move || agora_scan::scan_bytes(&bytes))
                            .await
                            .map_err(ApiError::internal)?
                    }
                    // Missing content is the engine's to report (it names the upload that is missing).
                    None => match scan_stored(state, &a.key).await {
                        Ok(r) => r,
                        Err(_) => continue,
                    },
                };
                store(state, a.content_id.clone(), &report).await?
            }
        };
        if rec.verdict == "unsafe" && !repo.scan_flag_only {
            let report: Value = serde_json::from_str(&rec.report).unwrap_or(Value::Null);
            let first = report["findings"]
                .as_array()
                .and_then(|f| f.iter().find(|f| f["verdict"] == "unsafe"))
                .cloned()
                .unwrap_or(Value::Null);
            let reason = first["reason"]
                .as_str()
                .unwrap_or("a finding of the scanner");
            let rule = first["rule"].as_str().unwrap_or("unknown");
            let offset = first["offset"].as_u64().unwrap_or(0);
            return Err(ApiError::bad_request(format!(
                "{}: refused by the scanner as unsafe: {reason} (rule {rule}, byte {offset}); see /api/{}/{}/scan/<revision> once a safe version is committed",
                a.path,
                repo.kind.plural(),
                repo.full_name()
            ))
            .with_status(StatusCode::UNPROCESSABLE_ENTITY));
        }
    }
    Ok(())
}

/// Scans whatever files of `commit` have no verdict of the current rules (the initial commit of
/// a new repository, content stored before the scanner existed).
pub async fn ensure_scanned(state: &AppState, commit: &ObjectId) -> ApiResult<()> {
    let entries = state.engine.list(commit, "", true).await?;
    let files: Vec<&FileEntry> = entries.iter().filter_map(agora_repo::Entry::file).collect();
    let known = verdicts(state, &files).await?;
    for f in files {
        let id = content_id(f);
        if known.get(&id).is_some_and(|r| r.ruleset == RULESET_VERSION) {
            continue;
        }
        let key = match &f.lfs {
            Some(p) => p.key(),
            None => f.oid.key(),
        };
        let report = scan_stored(state, &key).await?;
        store(state, id, &report).await?;
    }
    Ok(())
}

/// Where the content a verdict is about is stored.
fn key_of(content_id: &str) -> Option<String> {
    if let Some(oid) = content_id.strip_prefix("sha256:") {
        return agora_repo::lfs::is_sha256(oid).then(|| content_key(oid));
    }
    content_id
        .strip_prefix("git:")
        .and_then(ObjectId::parse)
        .map(|id| id.key())
}

/// Rescans, in the background, every stored file whose verdict came from other rules; started
/// with the server, so a new rule set reaches files committed under the old one.
pub async fn rescan_stale(state: AppState) {
    let mut after = String::new();
    let mut done = 0u64;
    loop {
        let batch = match state.meta.stale_scans(RULESET_VERSION, &after, 100).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "rescan stopped");
                return;
            }
        };
        let Some(last) = batch.last() else { break };
        after = last.clone();
        for id in batch {
            let Some(key) = key_of(&id) else { continue };
            let outcome = match scan_stored(&state, &key).await {
                Ok(report) => store(&state, id.clone(), &report).await.map(|_| ()),
                Err(e) => Err(e),
            };
            match outcome {
                Ok(()) => done += 1,
                Err(e) => tracing::warn!(content = %id, error = %e.message, "rescan failed"),
            }
        }
    }
    if done > 0 {
        tracing::info!(
            files = done,
            ruleset = RULESET_VERSION,
            "rescanned files stored under older rules"
        );
        resummarize(&state).await;
    }
}

/// New verdicts may change a head's summary (what `filter=scan:` finds): every head is
/// summarised again from the stored verdicts.
async fn resummarize(state: &AppState) {
    let mut after = 0;
    loop {
        let heads = match state.meta.heads(after, 500).await {
            Ok(h) => h,
            Err(e) => return tracing::warn!(error = %e, "scan summaries not refreshed"),
        };
        let Some((last, _)) = heads.last() else {
            return;
        };
        after = *last;
        for (repo, head) in heads {
            let Some(head) = ObjectId::parse(&head) else {
                continue;
            };
            if let Err(e) = summarize_head(state, repo, &head).await {
                tracing::warn!(repo, error = %e.message, "scan summary not refreshed");
            }
        }
    }
}

/// Verdicts of `files`, by content id.
pub async fn verdicts(
    state: &AppState,
    files: &[&FileEntry],
) -> ApiResult<HashMap<String, ScanRecord>> {
    let ids: Vec<String> = files.iter().map(|f| content_id(f)).collect();
    Ok(state
        .meta
        .scans(&ids)
        .await?
        .into_iter()
        .map(|r| (r.content_id.clone(), r))
        .collect())
}

/// `securityFileStatus` as the Hub's clients read it (`status`, `avScan`, `pickleImportScan`),
/// with Agora's own verdict beside.
pub fn file_status(rec: Option<&ScanRecord>) -> Value {
    let Some(rec) = rec else {
        return json!({"status": "unscanned", "avScan": null, "pickleImportScan": null});
    };
    let report: Value = serde_json::from_str(&rec.report).unwrap_or(Value::Null);
    let imports = report["imports"].as_array().cloned().unwrap_or_default();
    let highest = imports
        .iter()
        .filter_map(|i| i["safety"].as_str())
        .max_by_key(|s| match *s {
            "dangerous" => 2,
            "suspicious" => 1,
            _ => 0,
        });
    json!({
        "status": rec.verdict,
        "avScan": null,
        "pickleImportScan": {
            "highestSafetyLevel": highest.unwrap_or("innocuous"),
            "imports": imports.iter().map(|i| json!({"module": i["module"], "name": i["name"], "safety": i["safety"]})).collect::<Vec<_>>(),
        },
        "agoraScan": {"verdict": rec.verdict, "ruleset": rec.ruleset, "format": report["format"], "findings": report["findings"]},
    })
}

/// `securityRepoStatus` of a revision: the files with issues.
pub async fn repo_status(state: &AppState, files: &[&FileEntry]) -> ApiResult<Value> {
    let v = verdicts(state, files).await?;
    let mut issues = Vec::new();
    let mut done = true;
    for f in files {
        match v.get(&content_id(f)) {
            Some(rec) if rec.verdict != "safe" => {
                let report: Value = serde_json::from_str(&rec.report).unwrap_or(Value::Null);
                issues.push(
                    json!({"path": f.path, "level": rec.verdict, "findings": report["findings"]}),
                );
            }
            Some(_) => {}
            None => done = false,
        }
    }
    Ok(json!({"scansDone": done, "filesWithIssues": issues, "ruleset": RULESET_VERSION}))
}

/// Agora's scan endpoint: every file of a revision with its verdict and report.
pub async fn scan_report(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, ns, name, rev)): Path<(String, String, String, String)>,
) -> ApiResult<Json<Value>> {
    let (repo, _) = find_repo(&state, &caller, repo_type(&kind)?, &ns, &name).await?;
    let commit = state.engine.resolve(&repo, &rev).await?.commit;
    let entries = state.engine.list(&commit, "", true).await?;
    let files: Vec<&FileEntry> = entries.iter().filter_map(agora_repo::Entry::file).collect();
    let v = verdicts(&state, &files).await?;
    let out: Vec<Value> = files
        .iter()
        .map(|f| {
            let rec = v.get(&content_id(f));
            json!({
                "path": f.path,
                "contentId": content_id(f),
                "verdict": rec.map(|r| r.verdict.as_str()).unwrap_or("unscanned"),
                "ruleset": rec.map(|r| r.ruleset.as_str()),
                "report": rec.and_then(|r| serde_json::from_str::<Value>(&r.report).ok()),
            })
        })
        .collect();
    Ok(Json(
        json!({"commit": commit.hex(), "ruleset": RULESET_VERSION, "scanPolicy": if repo.scan_flag_only { "flag" } else { "reject" }, "files": out}),
    ))
}

/// Records the scanner's summary of a new default-branch head (`safe`, `unknown` or `unsafe`,
/// the worst verdict of its files), which search filters on (`filter=scan:<status>`). Files
/// without a verdict yet count as `unknown`.
pub async fn summarize_head(state: &AppState, repo: Id, head: &ObjectId) -> ApiResult<()> {
    let all = state.engine.list(head, "", true).await?;
    let files: Vec<&FileEntry> = all.iter().filter_map(agora_repo::Entry::file).collect();
    let v = verdicts(state, &files).await?;
    let mut worst = "safe";
    for f in &files {
        match v.get(&content_id(f)).map(|r| r.verdict.as_str()) {
            Some("unsafe") => {
                worst = "unsafe";
                break;
            }
            Some("safe") => {}
            _ => worst = "unknown",
        }
    }
    state.meta.set_scan_status(repo, &head.hex(), worst).await?;
    Ok(())
}
