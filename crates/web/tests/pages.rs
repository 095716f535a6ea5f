//! Black-box tests of the pages through the hub's real router (real SQLite file, real object
//! folder): what a visitor sees, and above all what they must not see.

use std::sync::Arc;

use agora_api::{Config, Hub, auth::hash_token};
use agora_repo::{Engine, git::Signature};
use agora_storage::{
    Meta, Objects,
    model::{Account, AccountKind, NewRepo, RepoType},
    sqlite::SqliteMeta,
};
use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
};
use tower::ServiceExt;

struct World {
    app: Router,
    hub: Arc<Hub>,
    _dir: tempfile::TempDir,
}

async fn world(opts: agora_web::Options) -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = SqliteMeta::open(&dir.path().join("agora.db"))
        .await
        .expect("db");
    let xet: Arc<dyn agora_storage::XetMeta> = Arc::new(sqlite.clone());
    let meta: Arc<dyn Meta> = Arc::new(sqlite);
    let objects = Objects::local(dir.path().join("objects")).expect("objects");
    let engine = Arc::new(Engine::new(objects, meta.clone()));
    let hub = Arc::new(Hub {
        engine,
        meta,
        config: Config::default(),
        secret: b"test-secret".to_vec(),
        running: Default::default(),
        reports: Default::default(),
        xet,
        limiter: Default::default(),
    });
    let alice = hub
        .meta
        .create_account("alice", AccountKind::User, "Alice", None, false)
        .await
        .expect("alice");
    for (kind, name, private) in [
        (RepoType::Model, "public-model", false),
        (RepoType::Model, "secret-model", true),
        (RepoType::Dataset, "public-data", false),
    ] {
        hub.engine
            .create_repo(
                &NewRepo {
                    kind,
                    owner_id: alice.id,
                    namespace: "alice".into(),
                    name: name.into(),
                    private,
                },
                Signature {
                    name: "alice".into(),
                    email: "alice@example.org".into(),
                    seconds: 0,
                },
            )
            .await
            .expect("repo");
    }
    let app = agora_api::router_with(hub.clone(), agora_web::router(opts));
    World {
        app,
        hub,
        _dir: dir,
    }
}

/// The account `alice` that `world` made.
async fn alice(w: &World) -> Account {
    w.hub
        .meta
        .account_by_name("alice")
        .await
        .expect("db")
        .expect("alice")
}

async fn get(app: &Router, uri: &str, cookie: Option<&str>) -> (StatusCode, String) {
    let mut req = Request::get(uri);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), 1 << 24)
        .await
        .expect("body");
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn post(app: &Router, uri: &str, form: &str, cookie: Option<&str>) -> (StatusCode, String) {
    let mut req =
        Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::from(form.to_owned())).expect("request"))
        .await
        .expect("response");
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), 1 << 24)
        .await
        .expect("body");
    (status, String::from_utf8_lossy(&body).into_owned())
}

const PAGES: &[&str] = &[
    "",
    "/tree/main",
    "/tree/main/.gitattributes",
    "/blob/main/.gitattributes",
    "/raw/main/.gitattributes",
    "/commits/main",
    "/refs",
    "/openness",
    "/scan",
    "/settings",
    "/upload/main",
];

#[tokio::test]
async fn a_private_repository_is_the_same_404_as_a_missing_one_on_every_page() {
    let w = world(agora_web::Options::default()).await;
    for page in PAGES {
        let (s1, secret) = get(&w.app, &format!("/alice/secret-model{page}"), None).await;
        let (s2, missing) = get(&w.app, &format!("/alice/no-such-model{page}"), None).await;
        assert_eq!(s1, StatusCode::NOT_FOUND, "{page}");
        assert_eq!(s2, StatusCode::NOT_FOUND, "{page}");
        assert_eq!(secret, missing, "{page}: the pages differ");
        assert!(!secret.contains("secret-model"), "{page}");
    }
    // The public one is there, and listings and the profile leave the private one out.
    let (s, _) = get(&w.app, "/alice/public-model", None).await;
    assert_eq!(s, StatusCode::OK);
    for uri in ["/", "/models?author=alice", "/models?q=secret", "/alice"] {
        let (s, body) = get(&w.app, uri, None).await;
        assert_eq!(s, StatusCode::OK, "{uri}");
        assert!(
            !body.contains("secret-model"),
            "{uri} lists the private repository"
        );
    }
    let (_, profile) = get(&w.app, "/alice", None).await;
    assert!(profile.contains("alice/public-model"));
}

#[tokio::test]
async fn the_owner_signed_in_sees_the_private_repository() {
    let w = world(agora_web::Options::default()).await;
    let alice = alice(&w).await;
    let value = "ab".repeat(32);
    w.hub
        .meta
        .create_session(
            &hash_token(&value),
            alice.id,
            agora_storage::now_ms() + 60_000,
        )
        .await
        .expect("session");
    let cookie = format!("agora_session={value}");
    for page in ["", "/tree/main", "/blob/main/.gitattributes", "/settings"] {
        let (s, body) = get(&w.app, &format!("/alice/secret-model{page}"), Some(&cookie)).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert!(body.contains("private"), "{page}");
    }
    let (_, list) = get(&w.app, "/models?author=alice", Some(&cookie)).await;
    assert!(list.contains("alice/secret-model"));
    // A forged or expired session is nobody.
    let (s, _) = get(
        &w.app,
        "/alice/secret-model",
        Some(&format!("agora_session={}", "cd".repeat(32))),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn forms_need_the_csrf_token_of_this_browser() {
    let w = world(agora_web::Options::default()).await;
    let (s, _) = post(
        &w.app,
        "/join",
        "username=mallory&password=0123456789abc",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = post(
        &w.app,
        "/join",
        "username=mallory&password=0123456789abc&csrf=deadbeef",
        Some(&format!("agora_pre={}", "ef".repeat(32))),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(
        w.hub
            .meta
            .account_by_name("mallory")
            .await
            .expect("db")
            .is_none()
    );
}

#[tokio::test]
async fn sign_up_can_be_turned_off() {
    let w = world(agora_web::Options {
        allow_signup: false,
        secure_cookies: true,
    })
    .await;
    let (s, _) = get(&w.app, "/join", None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, home) = get(&w.app, "/", None).await;
    assert!(!home.contains("href=\"/join\""));
}

#[tokio::test]
async fn hostile_paths_are_not_found_and_api_paths_stay_json() {
    let w = world(agora_web::Options::default()).await;
    for uri in [
        "/alice/public-model/blob/main/..%2F..%2Fetc%2Fpasswd",
        "/alice/public-model/blob/main/a%00b",
        "/alice/public-model/tree/main/.git",
        "/alice/public-model/blob/no-such-branch/.gitattributes",
        "/alice/public-model/commit/zzzz",
        "/alice/public-model/commit/0000000000000000000000000000000000000000",
        "/alice/public..model",
        "/alice/%3Cscript%3E",
    ] {
        let (s, body) = get(&w.app, uri, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{uri}");
        assert!(!body.contains("<script>"), "{uri}");
    }
    let (s, body) = get(&w.app, "/api/nothing-here", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(body.starts_with('{'), "{body}");
}

#[tokio::test]
async fn pages_carry_a_strict_content_security_policy() {
    let w = world(agora_web::Options::default()).await;
    let res = w
        .app
        .clone()
        .oneshot(
            Request::get("/alice/public-model")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    let csp = res
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let cookie = res
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
}

#[tokio::test]
async fn datasets_have_their_own_pages_and_listing() {
    let w = world(agora_web::Options::default()).await;
    for page in [
        "",
        "/tree/main",
        "/blob/main/.gitattributes",
        "/commits/main",
        "/refs",
    ] {
        let (s, body) = get(&w.app, &format!("/datasets/alice/public-data{page}"), None).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert!(body.contains("dataset"), "{page}");
    }
    // A dataset is not a model of the same name.
    let (s, _) = get(&w.app, "/alice/public-data", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = get(&w.app, "/datasets", None).await;
    assert!(list.contains("/datasets/alice/public-data"));
    let (_, models) = get(&w.app, "/models", None).await;
    assert!(!models.contains("public-data"));
}

/// A signed-in cookie for `name` (a session made in the store, as sign-in makes them).
async fn signed_in(w: &World, name: &str) -> String {
    let a = match w.hub.meta.account_by_name(name).await.expect("db") {
        Some(a) => a,
        None => w
            .hub
            .meta
            .create_account(name, AccountKind::User, name, None, false)
            .await
            .expect("account"),
    };
    let value = agora_web_test_value(name);
    w.hub
        .meta
        .create_session(&hash_token(&value), a.id, agora_storage::now_ms() + 60_000)
        .await
        .expect("session");
    format!("agora_session={value}")
}

fn agora_web_test_value(name: &str) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for b in name.bytes().cycle().take(32) {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The CSRF token a page's forms carry.
fn csrf_of(page: &str) -> String {
    let at = page
        .find("name=\"csrf\" value=\"")
        .expect("a form with a csrf token")
        + 19;
    page[at..at + 64].to_owned()
}

#[tokio::test]
async fn lineage_draws_hosted_bases_and_derivatives() {
    let w = world(agora_web::Options::default()).await;
    let alice = alice(&w).await;
    let repo = w
        .hub
        .engine
        .create_repo(
            &NewRepo {
                kind: RepoType::Model,
                owner_id: alice.id,
                namespace: "alice".into(),
                name: "tuned".into(),
                private: false,
            },
            Signature {
                name: "alice".into(),
                email: "a@example.org".into(),
                seconds: 0,
            },
        )
        .await
        .expect("repo");
    w.hub
        .engine
        .commit(agora_repo::CommitRequest {
            repo,
            revision: "main".into(),
            create_pr: false,
            parent: None,
            summary: "card".into(),
            description: String::new(),
            author: Signature {
                name: "alice".into(),
                email: "a@example.org".into(),
                seconds: 1,
            },
            ops: vec![agora_repo::Op::Put {
                path: "README.md".into(),
                content: bytes::Bytes::from_static(
                    b"---\nbase_model: alice/public-model\n---\n# Tuned\n",
                ),
            }],
        })
        .await
        .expect("commit");
    let (s, child) = get(&w.app, "/alice/tuned/openness", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        child.contains("<svg") && child.contains(r#"<a href="/alice/public-model">"#),
        "{child}"
    );
    let (_, base) = get(&w.app, "/alice/public-model/openness", None).await;
    assert!(base.contains(r#"<a href="/alice/tuned">"#), "{base}");
    // The card names its base in the metadata panel, linked.
    let (_, card) = get(&w.app, "/alice/tuned", None).await;
    assert!(card.contains(r#"<a href="/alice/public-model">alice/public-model</a>"#));
}

#[tokio::test]
async fn organisations_are_made_and_their_members_managed_on_the_pages() {
    let w = world(agora_web::Options::default()).await;
    let alice = signed_in(&w, "alice").await;
    let bob = signed_in(&w, "bob").await;
    let (_, form) = get(&w.app, "/organizations/new", Some(&alice)).await;
    let (s, _) = post(
        &w.app,
        "/organizations/new",
        &format!("csrf={}&name=lab", csrf_of(&form)),
        Some(&alice),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, page) = get(&w.app, "/organizations/lab/members", Some(&alice)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("alice") && page.contains("admin"));
    // Not a member: the members page is not there for bob, and he cannot change it.
    let (s, _) = get(&w.app, "/organizations/lab/members", Some(&bob)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, bobs) = get(&w.app, "/", Some(&bob)).await;
    let (s, _) = post(
        &w.app,
        "/organizations/lab/members",
        &format!("csrf={}&username=bob&role=admin", csrf_of(&bobs)),
        Some(&bob),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Alice adds bob as a writer; he may then create repositories in it.
    let csrf = csrf_of(&page);
    let (s, _) = post(
        &w.app,
        "/organizations/lab/members",
        &format!("csrf={csrf}&username=bob&role=write"),
        Some(&alice),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (_, new) = get(&w.app, "/new", Some(&bob)).await;
    assert!(new.contains(r#"<option value="lab">"#), "{new}");
    let (s, _) = post(
        &w.app,
        "/new",
        &format!(
            "csrf={}&owner=lab&name=shared&kind=model&visibility=private",
            csrf_of(&new)
        ),
        Some(&bob),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (s, _) = get(&w.app, "/lab/shared", Some(&alice)).await;
    assert_eq!(s, StatusCode::OK);
    // The last admin stays.
    let (s, body) = post(
        &w.app,
        "/organizations/lab/members",
        &format!("csrf={csrf}&username=alice&role=remove"),
        Some(&alice),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body.contains("at least one admin"));
}
