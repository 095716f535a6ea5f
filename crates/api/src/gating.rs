//! Gated repositories: who may read file content, the request form the card describes, the
//! requester's side (`ask-access`) and the owner's review API (`user-access-request/...`), as
//! `huggingface_hub` expects them (shared/research/hub-protocol.md §3).
//!
//! Metadata of a gated repository stays readable; only file content is gated. Owners, site
//! admins and members of the owning organisation (any role) are never gated.

use agora_storage::model::{
    AccessRequest, Account, AccountKind, Decision, Gated, Repo, RequestStatus,
};
use axum::{
    Json,
    extract::{Path, RawQuery, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::{
    AppState, BaseUrl, audit,
    auth::{self, Access, Caller, find_repo, route_repo},
    error::{ApiError, ApiResult, Code},
};

/// Where a caller stands at a repository's gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gate {
    /// Not gated.
    Open,
    /// Owner, site admin or member of the owning organisation: never gated.
    Member,
    /// Let in by an accepted request.
    Approved,
    /// No user the token reaches the repository with.
    Stranger,
    Refused,
}

async fn gate(state: &AppState, caller: &Caller, repo: &Repo) -> ApiResult<Gate> {
    if repo.gated.is_none() {
        return Ok(Gate::Open);
    }
    let Some(user) = caller.user_for(repo) else {
        return Ok(Gate::Stranger);
    };
    Ok(if auth::standing(state, user, repo).await? > Access::None {
        Gate::Member
    } else if auth::approved(state, repo, user).await? {
        Gate::Approved
    } else {
        Gate::Refused
    })
}

/// Refuses file content of a gated repository to a caller who was not let in, in the Hub's
/// `GatedRepo` shape: 401 without credentials, 403 with them. Reads by approved outsiders and
/// every refusal to a signed-in user go to the audit log.
pub async fn check_content(
    state: &AppState,
    caller: &Caller,
    repo: &Repo,
    base: &str,
    path: &str,
) -> ApiResult<()> {
    let what = format!("{} {}", repo.kind.as_str(), repo.full_name());
    match gate(state, caller, repo).await? {
        Gate::Open | Gate::Member => Ok(()),
        Gate::Approved => {
            audit::record(
                state,
                caller,
                "content.read",
                Some(repo),
                None,
                json!({"path": path}),
            )
            .await
        }
        Gate::Stranger => Err(ApiError::new(
            Code::GatedRepo,
            format!("Access to {what} is restricted. You must be authenticated to access it."),
        )
        .with_status(StatusCode::UNAUTHORIZED)),
        Gate::Refused => {
            audit::record(
                state,
                caller,
                "content.denied",
                Some(repo),
                None,
                json!({"path": path}),
            )
            .await?;
            Err(ApiError::new(
                Code::GatedRepo,
                format!(
                    "Access to {what} is restricted and you are not in the authorized list. \
                     Visit {base}/{}{} to ask for access.",
                    repo.kind.url_prefix(),
                    repo.full_name()
                ),
            ))
        }
    }
}

/// The gating a card's front matter asks for (`gated: auto|manual|true|false`), if it says.
fn card_gating(card: Option<&str>) -> Option<Option<Gated>> {
    let card: Value = serde_json::from_str(card?).ok()?;
    match card.get("gated")? {
        Value::Bool(false) => Some(None),
        Value::Bool(true) => Some(Some(Gated::Auto)),
        Value::String(s) => Gated::parse(s).map(Some),
        _ => None,
    }
}

/// After a commit to the default branch: when the card's `gated` key changed, the repository's
/// gating follows it, if the committer may change settings (a writer editing the card cannot
/// open or close the gate). `before` is the repository as it was before the commit.
pub async fn follow_card(state: &AppState, caller: &Caller, before: &Repo) -> ApiResult<()> {
    let Some(after) = state.meta.repo(before.id).await? else {
        return Ok(());
    };
    let Some(want) = card_gating(after.card_data.as_deref()) else {
        return Ok(());
    };
    if card_gating(before.card_data.as_deref()) == Some(want) || after.gated == want {
        return Ok(());
    }
    if auth::access(state, caller, &after).await? < Access::Admin {
        tracing::info!(repo = %after.full_name(), "card asks for other gating; committer may not change settings");
        return Ok(());
    }
    state.meta.set_gated(after.id, want).await?;
    audit::record(
        state,
        caller,
        "settings.change",
        Some(&after),
        None,
        json!({"gated": {"from": after.gated.map(Gated::as_str), "to": want.map(Gated::as_str)}, "via": "card"}),
    )
    .await
}

// --- The form ------------------------------------------------------------------------------------

/// Most answers the form takes, and their sizes: a form is a few short fields.
const MAX_FIELDS: usize = 50;
const MAX_ANSWER_CHARS: usize = 1000;
pub const MAX_REASON_CHARS: usize = 1000;

#[derive(Clone, Debug, PartialEq)]
pub enum FieldKind {
    Text,
    /// Must be ticked: on the Hub a checkbox is an agreement.
    Checkbox,
    /// An ISO 3166-1 country, by code or name.
    Country,
    /// `YYYY-MM-DD`.
    Date,
    /// One of the options' values.
    Select(Vec<(String, String)>),
}

#[derive(Clone, Debug)]
pub struct Field {
    pub label: String,
    pub kind: FieldKind,
}

/// What a gated repository asks of a requester, from its card's `extra_gated_*` keys.
#[derive(Clone, Debug, Default)]
pub struct Form {
    pub heading: Option<String>,
    pub prompt: Option<String>,
    pub button: Option<String>,
    pub licence: Option<String>,
    pub fields: Vec<Field>,
}

impl Form {
    pub fn of(repo: &Repo) -> Form {
        let card: Value = repo
            .card_data
            .as_deref()
            .and_then(|c| serde_json::from_str(c).ok())
            .unwrap_or(Value::Null);
        let text = |k: &str| card.get(k).and_then(Value::as_str).map(str::to_owned);
        let mut fields = Vec::new();
        if let Some(m) = card.get("extra_gated_fields").and_then(Value::as_object) {
            for (label, spec) in m.iter().take(MAX_FIELDS) {
                let kind = match spec {
                    Value::String(t) => simple_kind(t),
                    Value::Object(o) => match o.get("type").and_then(Value::as_str) {
                        Some("select") => FieldKind::Select(options(o.get("options"))),
                        Some(t) => simple_kind(t),
                        None => FieldKind::Text,
                    },
                    _ => FieldKind::Text,
                };
                fields.push(Field {
                    label: label.clone(),
                    kind,
                });
            }
        }
        Form {
            heading: text("extra_gated_heading"),
            prompt: text("extra_gated_prompt"),
            button: text("extra_gated_button_content"),
            licence: text("license"),
            fields,
        }
    }

    /// Checks answers against the form: every field answered, nothing else, nothing oversized.
    pub fn check(&self, answers: &Map<String, Value>) -> ApiResult<Map<String, Value>> {
        if let Some(extra) = answers
            .keys()
            .find(|k| !self.fields.iter().any(|f| &f.label == *k))
        {
            return Err(ApiError::bad_request(format!(
                "The form has no field {:?}",
                clip(extra)
            )));
        }
        let mut out = Map::new();
        for f in &self.fields {
            let missing = || ApiError::bad_request(format!("Please answer {:?}", f.label));
            let v = answers.get(&f.label).ok_or_else(missing)?;
            let checked = match (&f.kind, v) {
                (FieldKind::Checkbox, Value::Bool(true)) => Value::Bool(true),
                (FieldKind::Checkbox, Value::String(s)) if matches!(s.as_str(), "on" | "true") => {
                    Value::Bool(true)
                }
                (FieldKind::Checkbox, _) => {
                    return Err(ApiError::bad_request(format!(
                        "{:?} must be ticked to ask for access",
                        f.label
                    )));
                }
                (kind, Value::String(s)) => Value::String(answer(&f.label, kind, s)?),
                _ => return Err(missing()),
            };
            out.insert(f.label.clone(), checked);
        }
        Ok(out)
    }
}

fn simple_kind(t: &str) -> FieldKind {
    match t {
        "checkbox" => FieldKind::Checkbox,
        "country" => FieldKind::Country,
        "date_picker" => FieldKind::Date,
        _ => FieldKind::Text,
    }
}

fn options(v: Option<&Value>) -> Vec<(String, String)> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|o| match o {
                    Value::String(s) => Some((s.clone(), s.clone())),
                    Value::Object(m) => {
                        let label = m.get("label").and_then(Value::as_str)?;
                        let value = m.get("value").and_then(Value::as_str).unwrap_or(label);
                        Some((label.to_owned(), value.to_owned()))
                    }
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn clip(s: &str) -> String {
    s.chars().take(80).collect()
}

fn answer(label: &str, kind: &FieldKind, s: &str) -> ApiResult<String> {
    let bad = |why: &str| ApiError::bad_request(format!("{label:?}: {why}"));
    let s = s.trim();
    if s.is_empty() {
        return Err(bad("an answer is required"));
    }
    if s.chars().count() > MAX_ANSWER_CHARS {
        return Err(bad(&format!(
            "answers are at most {MAX_ANSWER_CHARS} characters"
        )));
    }
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(bad("control characters are not allowed"));
    }
    match kind {
        FieldKind::Text | FieldKind::Checkbox => Ok(s.to_owned()),
        FieldKind::Country => {
            country(s).ok_or_else(|| bad("not a country (use its ISO 3166 code or name)"))
        }
        FieldKind::Date => {
            let f = time::macros::format_description!("[year]-[month]-[day]");
            time::Date::parse(s, &f)
                .map(|_| s.to_owned())
                .map_err(|_| bad("not a date of the form YYYY-MM-DD"))
        }
        FieldKind::Select(opts) => opts
            .iter()
            .find(|(_, v)| v == s)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| bad("not one of the options")),
    }
}

/// The country's English name, from an ISO 3166-1 alpha-2 or alpha-3 code or the name itself.
fn country(s: &str) -> Option<String> {
    use isocountry::CountryCode;
    let code = CountryCode::for_alpha2_caseless(s)
        .or_else(|_| CountryCode::for_alpha3_caseless(s))
        .ok()
        .or_else(|| {
            CountryCode::iter()
                .find(|c| c.name().eq_ignore_ascii_case(s))
                .copied()
        })?;
    Some(code.name().to_owned())
}

pub fn require_gated(repo: &Repo) -> ApiResult<Gated> {
    repo.gated.ok_or_else(|| {
        ApiError::bad_request(format!("{} is not a gated repository", repo.full_name()))
    })
}

// --- The requester's side ------------------------------------------------------------------------

/// `GET /api/{kind}/{ns}/{name}/ask-access`: the form, and where the caller's request stands.
pub async fn form(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, ns, name)): Path<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    let repo = route_repo(&state, &caller, &kind, &ns, &name, Access::Read).await?;
    let form = Form::of(&repo);
    let mine = match caller.user_for(&repo) {
        Some(u) => state.meta.access_request(repo.id, u.id).await?,
        None => None,
    };
    let fields: Vec<Value> = form
        .fields
        .iter()
        .map(|f| match &f.kind {
            FieldKind::Select(o) => json!({"label": f.label, "type": "select",
                "options": o.iter().map(|(l, v)| json!({"label": l, "value": v})).collect::<Vec<_>>()}),
            k => json!({"label": f.label, "type": match k {
                FieldKind::Checkbox => "checkbox",
                FieldKind::Country => "country",
                FieldKind::Date => "date_picker",
                _ => "text",
            }}),
        })
        .collect();
    Ok(Json(json!({
        "gated": repo.gated.map(Gated::as_str).map(Value::from).unwrap_or(Value::Bool(false)),
        "heading": form.heading,
        "prompt": form.prompt,
        "button": form.button,
        "license": form.licence,
        "fields": fields,
        "status": mine.as_ref().map(|r| r.status.as_str()),
        "rejectionReason": mine.as_ref().and_then(|r| r.reason.clone()),
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AskBody {
    #[serde(default)]
    fields: Map<String, Value>,
    /// Agreement to the card's prompt and licence, and to sharing one's contact details with
    /// the owner.
    accept: bool,
}

/// `POST /api/{kind}/{ns}/{name}/ask-access`: asks for access with the form's answers; under
/// `auto` gating the request is accepted at once.
pub async fn ask(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, ns, name)): Path<(String, String, String)>,
    crate::error::Json(body): crate::error::Json<AskBody>,
) -> ApiResult<Json<Value>> {
    let repo = route_repo(&state, &caller, &kind, &ns, &name, Access::Read).await?;
    let user = caller
        .user_for(&repo)
        .ok_or_else(|| ApiError::unauthorized("Sign in to ask for access. Pass a token."))?
        .clone();
    let status = request(&state, &caller, &repo, &user, &body.fields, body.accept).await?;
    Ok(Json(json!({"status": status.as_str()})))
}

/// Records `user`'s request for `repo` (the web form calls this too).
pub async fn request(
    state: &AppState,
    caller: &Caller,
    repo: &Repo,
    user: &Account,
    answers: &Map<String, Value>,
    accept: bool,
) -> ApiResult<RequestStatus> {
    let gated = require_gated(repo)?;
    if !accept {
        return Err(ApiError::bad_request(
            "Accept the conditions (accept: true) to ask for access",
        ));
    }
    if auth::standing(state, user, repo).await? > Access::None {
        return Err(ApiError::bad_request(format!(
            "You already have access to {}",
            repo.full_name()
        )));
    }
    let form = Form::of(repo);
    let fields = form.check(answers)?;
    match state.meta.access_request(repo.id, user.id).await? {
        Some(r) if r.status == RequestStatus::Accepted => {
            return Err(ApiError::conflict(
                "Your access request was already accepted",
            ));
        }
        Some(r) if r.status == RequestStatus::Pending => {
            return Err(ApiError::conflict(
                "Your access request is already pending review",
            ));
        }
        Some(r) => {
            return Err(ApiError::forbidden(match r.reason {
                Some(why) => format!("Your access request was rejected: {why}"),
                None => "Your access request was rejected".into(),
            }));
        }
        None => {}
    }
    let to = match gated {
        Gated::Auto => RequestStatus::Accepted,
        Gated::Manual => RequestStatus::Pending,
    };
    let fields_json = serde_json::to_string(&fields).map_err(ApiError::internal)?;
    let decided = state
        .meta
        .decide(&Decision {
            repo_id: repo.id,
            user_id: user.id,
            from: None,
            to,
            fields: Some(fields_json),
            reason: None,
            decided_by: None,
        })
        .await?
        .ok_or_else(|| ApiError::conflict("Your access request is already recorded"))?;
    audit::record(
        state,
        caller,
        "access.request",
        Some(repo),
        None,
        json!({"user": user.name, "status": decided.status.as_str(), "fields": fields,
               "license": form.licence, "prompt": form.prompt}),
    )
    .await?;
    Ok(decided.status)
}

// --- The owner's review API ----------------------------------------------------------------------

const PAGE: i64 = 100;
const MAX_PAGE: i64 = 1000;

fn request_json(r: &AccessRequest, user: &Account) -> Value {
    // Contact details are shared only by those who filled in the form; a direct grant has none.
    let email = if r.fields.is_some() {
        user.email.clone()
    } else {
        None
    };
    let fields: Option<Value> = r
        .fields
        .as_deref()
        .and_then(|f| serde_json::from_str(f).ok());
    json!({
        "user": {"user": user.name, "fullname": user.fullname, "email": email, "type": "user"},
        "requestId": r.id.to_string(),
        "status": r.status.as_str(),
        "timestamp": agora_storage::format_ms(r.updated_at),
        "fields": fields,
        "rejectionReason": r.reason,
    })
}

/// Reads `cursor` and `limit` of a paginated listing.
pub fn page_query(q: Option<&str>) -> ApiResult<(i64, i64)> {
    let mut cursor = 0;
    let mut limit = PAGE;
    for (k, v) in url::form_urlencoded::parse(q.unwrap_or("").as_bytes()) {
        let bad = || ApiError::bad_request(format!("Invalid {k}: {v:?}"));
        match k.as_ref() {
            "cursor" => cursor = v.parse().ok().filter(|c| *c >= 0).ok_or_else(bad)?,
            "limit" => {
                limit = v
                    .parse()
                    .ok()
                    .filter(|l| (1..=MAX_PAGE).contains(l))
                    .ok_or_else(bad)?
            }
            _ => {}
        }
    }
    Ok((cursor, limit))
}

/// A `Link: <...?cursor=N&limit=L>; rel="next"` header when a full page came back.
pub fn next_link(
    base: &str,
    path: &str,
    last: Option<i64>,
    limit: i64,
    full: bool,
) -> Option<HeaderValue> {
    let last = last.filter(|_| full)?;
    HeaderValue::from_str(&format!(
        "<{base}{path}?cursor={last}&limit={limit}>; rel=\"next\""
    ))
    .ok()
}

/// `GET /api/{kind}/{ns}/{name}/user-access-request/{status}`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path((kind, ns, name, status)): Path<(String, String, String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let repo = route_repo(&state, &caller, &kind, &ns, &name, Access::Write).await?;
    let status = RequestStatus::parse(&status).ok_or_else(|| {
        ApiError::not_found(format!(
            "No such list {status:?}: use pending, accepted or rejected"
        ))
    })?;
    let (cursor, limit) = page_query(q.as_deref())?;
    let rows = state
        .meta
        .access_requests(repo.id, status, cursor, limit)
        .await?;
    let items: Vec<Value> = rows.iter().map(|(r, u)| request_json(r, u)).collect();
    let path = format!(
        "/api/{kind}/{}/user-access-request/{}",
        repo.full_name(),
        status.as_str()
    );
    let link = next_link(
        &base,
        &path,
        rows.last().map(|(r, _)| r.id),
        limit,
        rows.len() as i64 == limit,
    );
    let mut resp = Json(Value::Array(items)).into_response();
    if let Some(l) = link {
        resp.headers_mut().insert(header::LINK, l);
    }
    Ok(resp)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandleBody {
    user: Option<String>,
    #[serde(rename = "requestId")]
    request_id: Option<String>,
    status: String,
    #[serde(rename = "rejectionReason")]
    rejection_reason: Option<String>,
}

/// `POST .../user-access-request/handle`: accept, reject, or put back to pending (which takes
/// access away), one request named by user or by id. Setting a request to the state it is in
/// is an error, as on the Hub.
pub async fn handle(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, ns, name)): Path<(String, String, String)>,
    crate::error::Json(body): crate::error::Json<HandleBody>,
) -> ApiResult<Json<Value>> {
    let repo = route_repo(&state, &caller, &kind, &ns, &name, Access::Write).await?;
    require_gated(&repo)?;
    let to = RequestStatus::parse(&body.status)
        .ok_or_else(|| ApiError::bad_request("status must be accepted, rejected or pending"))?;
    let reason = match body.rejection_reason {
        Some(_) if to != RequestStatus::Rejected => {
            return Err(ApiError::bad_request(
                "rejectionReason goes only with status rejected",
            ));
        }
        Some(r) if r.chars().count() > MAX_REASON_CHARS => {
            return Err(ApiError::bad_request(format!(
                "rejectionReason is at most {MAX_REASON_CHARS} characters"
            )));
        }
        r => r.filter(|r| !r.trim().is_empty()),
    };
    let (req, user) = match (&body.user, &body.request_id) {
        (Some(u), None) => {
            let user = user_named(&state, u).await?;
            let req = state.meta.access_request(repo.id, user.id).await?;
            (req, Some(user))
        }
        (None, Some(id)) => {
            let id: i64 = id
                .parse()
                .map_err(|_| ApiError::not_found(format!("No access request {}", clip(id))))?;
            (state.meta.access_request_by_id(repo.id, id).await?, None)
        }
        _ => {
            return Err(ApiError::bad_request(
                "Name exactly one of user and requestId",
            ));
        }
    };
    let req =
        req.ok_or_else(|| ApiError::not_found("No such access request for this repository"))?;
    let user = match user {
        Some(u) => u,
        None => state
            .meta
            .account(req.user_id)
            .await?
            .ok_or_else(|| ApiError::not_found("No such user"))?,
    };
    let done = set_status(&state, &caller, &repo, &req, &user, to, reason).await?;
    Ok(Json(request_json(&done, &user)))
}

/// Moves `user`'s request `req` to `to` (the API's `handle` and the web review form).
pub async fn set_status(
    state: &AppState,
    caller: &Caller,
    repo: &Repo,
    req: &AccessRequest,
    user: &Account,
    to: RequestStatus,
    reason: Option<String>,
) -> ApiResult<AccessRequest> {
    if req.status == to {
        return Err(ApiError::bad_request(format!(
            "The access request of {} is already {}",
            user.name,
            to.as_str()
        )));
    }
    let decided_by = caller.user.as_ref().map(|u| u.id);
    let done = state
        .meta
        .decide(&Decision {
            repo_id: repo.id,
            user_id: user.id,
            from: Some(req.status),
            to,
            fields: None,
            reason: reason.clone(),
            decided_by,
        })
        .await?
        .ok_or_else(|| ApiError::conflict("The request changed meanwhile; reload and retry"))?;
    audit::record(
        state,
        caller,
        &format!("access.{}", to.as_str()),
        Some(repo),
        None,
        json!({"user": user.name, "from": req.status.as_str(), "reason": reason}),
    )
    .await?;
    Ok(done)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    user: String,
}

/// `POST .../user-access-request/grant`: lets a user in without a request of theirs.
pub async fn grant(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, ns, name)): Path<(String, String, String)>,
    crate::error::Json(body): crate::error::Json<GrantBody>,
) -> ApiResult<Json<Value>> {
    let repo = route_repo(&state, &caller, &kind, &ns, &name, Access::Write).await?;
    require_gated(&repo)?;
    let user = user_named(&state, &body.user).await?;
    let done = grant_to(&state, &caller, &repo, &user).await?;
    Ok(Json(request_json(&done, &user)))
}

/// Lets `user` into the gated `repo` without a request of theirs (the API's `grant` and the
/// web review form).
pub async fn grant_to(
    state: &AppState,
    caller: &Caller,
    repo: &Repo,
    user: &Account,
) -> ApiResult<AccessRequest> {
    let from = state
        .meta
        .access_request(repo.id, user.id)
        .await?
        .map(|r| r.status);
    if from == Some(RequestStatus::Accepted) {
        return Err(ApiError::bad_request(format!(
            "{} already has access to {}",
            user.name,
            repo.full_name()
        )));
    }
    let done = state
        .meta
        .decide(&Decision {
            repo_id: repo.id,
            user_id: user.id,
            from,
            to: RequestStatus::Accepted,
            fields: None,
            reason: None,
            decided_by: caller.user.as_ref().map(|u| u.id),
        })
        .await?
        .ok_or_else(|| ApiError::conflict("The request changed meanwhile; reload and retry"))?;
    audit::record(
        state,
        caller,
        "access.grant",
        Some(repo),
        None,
        json!({"user": user.name, "from": from.map(RequestStatus::as_str)}),
    )
    .await?;
    Ok(done)
}

pub async fn user_named(state: &AppState, name: &str) -> ApiResult<Account> {
    state
        .meta
        .account_by_name(name)
        .await?
        .filter(|a| a.kind == AccountKind::User)
        .ok_or_else(|| ApiError::not_found(format!("No user named {:?}", clip(name))))
}

/// Whether `caller` may read `repo`'s files, for callers outside the HTTP handlers (the web UI).
pub async fn may_read_content(state: &AppState, caller: &Caller, repo: &Repo) -> ApiResult<bool> {
    if find_repo(state, caller, repo.kind, &repo.namespace, &repo.name)
        .await
        .is_err()
    {
        return Ok(false);
    }
    Ok(matches!(
        gate(state, caller, repo).await?,
        Gate::Open | Gate::Member | Gate::Approved
    ))
}
