"""The web interface in a real browser: Debian's headless Chromium driven by Playwright against
the suite's `agora serve`. A person signs up, creates a repository, uploads files through the
page, reads the rendered card, browses files and history, manages a token, and cannot see
someone else's private repository. Screenshots are kept in target/screenshots.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import urllib.request
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "target" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

HOSTILE_CARD = """---
license: apache-2.0
pipeline_tag: text-generation
---
# Web Model

<script>window.__pwned = 'script'</script>
<img src="figure.png" onerror="window.__pwned = 'onerror'">
<a href="javascript:window.__pwned='link'">click me</a>
<iframe src="https://example.org"></iframe>

See [the training script](train.py) and **enjoy**.
"""

TRAIN_PY = "def train(steps: int) -> None:\n    print('<b>not html</b>', steps)\n"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (scripts/test installs it)")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_up(page, url: str, name: str) -> None:
    page.goto(f"{url}/join")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password (at least 10 characters)").fill("correct horse battery")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{url}/")
    assert page.get_by_role("link", name=name).is_visible()


def test_sign_up_create_upload_read_browse_and_tokens(hub, browser):
    user = hub.unique("webby")
    ctx = browser.new_context()
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    sign_up(page, hub.url, user)
    shot(page, "01-home-signed-in")

    # A new repository through the page.
    page.get_by_role("link", name="New").click()
    page.get_by_label("Name").fill("web-model")
    page.get_by_role("button", name="Create repository").click()
    page.wait_for_url(f"{hub.url}/{user}/web-model")

    # Upload a card and a script through the page.
    tmp = Path(tempfile.mkdtemp())
    (tmp / "README.md").write_text(HOSTILE_CARD)
    (tmp / "train.py").write_text(TRAIN_PY)
    (tmp / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}      ")
    page.goto(f"{hub.url}/{user}/web-model/tree/main")
    page.get_by_role("link", name="Upload files").click()
    page.get_by_label("Files").set_input_files(
        [str(tmp / "README.md"), str(tmp / "train.py"), str(tmp / "model.safetensors")])
    page.get_by_label("Commit message").fill("Add card and script")
    shot(page, "02-upload-form")
    page.get_by_role("button", name="Commit").click()
    page.wait_for_url(f"{hub.url}/{user}/web-model/commit/*")
    # The commit page shows the diff of the new text files.
    assert page.get_by_role("heading", name="Add card and script").is_visible()
    assert page.locator(".difflines .add", has_text="def train(steps: int)").count() == 1
    shot(page, "03-commit-diff")

    # The rendered card: Markdown in, nothing executable out.
    page.goto(f"{hub.url}/{user}/web-model")
    card = page.locator("article.card")
    assert card.get_by_role("heading", name="Web Model").is_visible()
    assert card.locator("strong", has_text="enjoy").is_visible()
    assert card.locator("script, iframe, [onerror]").count() == 0
    assert card.locator("a[href^='javascript']").count() == 0
    assert page.evaluate("window.__pwned") is None
    link = card.get_by_role("link", name="the training script")
    assert link.get_attribute("href") == f"/{user}/web-model/blob/main/train.py"
    assert page.locator("aside").get_by_text("Apache License 2.0").is_visible() or \
        page.locator("aside").get_by_text("apache-2.0").first.is_visible()
    assert f"HF_ENDPOINT={hub.url}" in page.locator("aside").inner_text()
    shot(page, "04-card")

    # Files, then one file with highlighting and its raw view.
    page.get_by_role("link", name="Files").click()
    rows = page.locator("table.files tbody tr")
    names = [rows.nth(i).locator("td").first.inner_text().strip() for i in range(rows.count())]
    assert {".gitattributes", "README.md", "train.py", "model.safetensors"} <= set(names)
    # The safetensors file went through LFS, as .gitattributes says, and shows it.
    assert page.locator("tr", has_text="model.safetensors").locator(".badge.lfs").is_visible()
    shot(page, "05-files")
    page.get_by_role("link", name="train.py").click()
    code = page.locator("pre.src")
    assert "not html" in code.inner_text()
    assert code.locator("b").count() == 0
    assert code.locator("span[class^='hl-']").count() > 0
    shot(page, "06-file-view")
    page.get_by_role("link", name="Raw").click()
    assert page.locator("body").inner_text().startswith("def train")

    # History lists the upload and the creation commit.
    page.goto(f"{hub.url}/{user}/web-model/commits/main")
    items = page.locator("ol.commits li")
    assert items.count() == 2
    assert "Add card and script" in items.first.inner_text()
    shot(page, "07-history")

    # A token made on the page works with the API, and revoking it ends that.
    page.goto(f"{hub.url}/settings/tokens")
    page.get_by_label("Name", exact=True).fill("laptop")
    page.get_by_label("Write: also create, upload and change settings").check()
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token").inner_text().strip()
    assert token.startswith("hf_")
    req = urllib.request.Request(f"{hub.url}/api/whoami-v2", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req) as r:
        assert json.load(r)["name"] == user
    shot(page, "08-tokens")
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Revoke laptop").click()
    page.wait_for_url(f"{hub.url}/settings/tokens")
    assert page.get_by_text("No tokens yet.").is_visible()
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req)
    assert e.value.code == 401

    # A fine-grained token reaches only its scope.
    page.get_by_label("Name", exact=True).fill("ci")
    page.get_by_label("Fine-grained: only what the scopes below allow").check()
    page.get_by_label("Scopes of a fine-grained token").fill(f"model:{user}/web-model:read")
    page.get_by_label("Expires").select_option("30")
    page.get_by_role("button", name="Create token").click()
    fine = page.locator("#new-token").inner_text().strip()
    row = page.locator("tr", has_text="ci")
    assert f"model:{user}/web-model:read" in row.inner_text() and "fineGrained" in row.inner_text()
    req = urllib.request.Request(f"{hub.url}/api/models/{user}/web-model", headers={"Authorization": f"Bearer {fine}"})
    with urllib.request.urlopen(req) as r:
        assert json.load(r)["id"] == f"{user}/web-model"
    page.get_by_label("Scopes of a fine-grained token").fill("model:nonsense")
    page.get_by_label("Name", exact=True).fill("bad")
    page.get_by_label("Fine-grained: only what the scopes below allow").check()
    page.get_by_role("button", name="Create token").click()
    assert page.get_by_role("alert").inner_text().startswith("bad scope")

    # The openness and safety tabs render what grading and scanning stored.
    page.goto(f"{hub.url}/{user}/web-model/openness")
    assert page.get_by_role("heading", name="Lineage").is_visible()
    assert page.locator("svg.lineage").count() == 1
    shot(page, "07b-openness")
    page.goto(f"{hub.url}/{user}/web-model/scan")
    assert page.locator("tr", has_text="train.py").locator(".verdict.safe").is_visible()
    shot(page, "07c-scan")

    # Search finds it by task, licence and scan status (every file scanned safe).
    page.goto(f"{hub.url}/models?author={user}&task=text-generation&license=apache-2.0&scan=safe")
    assert page.get_by_role("link", name=f"{user}/web-model").is_visible()
    page.goto(f"{hub.url}/models?author={user}&scan=unsafe")
    assert page.get_by_text("Nothing matches.").is_visible()
    with urllib.request.urlopen(f"{hub.url}/api/models?author={user}&filter=scan:safe") as r:
        assert [m["id"] for m in json.load(r)] == [f"{user}/web-model"]

    # Settings: make it private; an anonymous browser then sees the same 404 as for nothing.
    page.goto(f"{hub.url}/{user}/web-model/settings")
    page.get_by_label("Private").check()
    page.get_by_role("button", name="Save").click()
    assert page.get_by_text("Saved.").is_visible()
    shot(page, "09-settings")
    # The owner still downloads its files from the pages (the session, not a token, lets them in).
    page.goto(f"{hub.url}/{user}/web-model/blob/main/model.safetensors")
    dl = page.get_by_role("link", name="Download").get_attribute("href")
    r = page.request.get(f"{hub.url}{dl}")
    assert r.status == 200 and r.body().startswith(b"\x08\x00")
    assert r.headers["x-content-type-options"] == "nosniff"
    anon = browser.new_context().new_page()
    assert anon.request.get(f"{hub.url}{dl}").status == 404
    for path in ("", "/tree/main", "/blob/main/train.py", "/commits/main"):
        r = anon.goto(f"{hub.url}/{user}/web-model{path}")
        assert r.status == 404, path
        assert user not in anon.content() or path == ""
    missing = anon.goto(f"{hub.url}/{user}/no-such-model")
    assert missing.status == 404
    anon.goto(f"{hub.url}/models?author={user}")
    assert anon.get_by_text("Nothing matches.").is_visible()
    shot(anon, "10-anonymous-search")
    anon.context.close()
    assert errors == []
    ctx.close()


def test_forms_without_a_valid_csrf_token_are_refused(hub, browser):
    ctx = browser.new_context()
    page = ctx.new_page()
    user = hub.unique("csrf")
    sign_up(page, hub.url, user)
    # A cross-site form post carries the session cookie (SameSite=Lax allows top-level POSTs in
    # some browsers' grace windows) but not the token.
    r = page.request.post(f"{hub.url}/settings/tokens", form={"name": "stolen", "role": "write", "csrf": "0" * 64})
    assert r.status == 403
    page.goto(f"{hub.url}/settings/tokens")
    assert page.get_by_text("No tokens yet.").is_visible()
    cookies = {c["name"]: c for c in ctx.cookies()}
    assert cookies["agora_session"]["httpOnly"] and cookies["agora_session"]["sameSite"] == "Lax"
    ctx.close()


def test_pages_read_without_javascript(hub, browser):
    ctx = browser.new_context(java_script_enabled=False)
    page = ctx.new_page()
    page.goto(f"{hub.url}/models")
    assert page.get_by_role("heading", name="Models").is_visible()
    page.get_by_label("Name").fill("")
    page.get_by_role("button", name="Search").click()
    assert "/models?" in page.url
    shot(page, "11-search-no-js")
    ctx.close()


GATED_CARD = """---
license: other
extra_gated_prompt: Tell us who you are.
extra_gated_fields:
  Company: text
  I will not misuse the model: checkbox
---
# Gated model

Weights for approved users.
"""


def test_request_and_grant_access_to_a_gated_repository(hub, browser):
    owner_ctx, asker_ctx = browser.new_context(), browser.new_context()
    owner, asker = owner_ctx.new_page(), asker_ctx.new_page()
    owner_name, asker_name = hub.unique("owner"), hub.unique("asker")
    sign_up(owner, hub.url, owner_name)
    sign_up(asker, hub.url, asker_name)
    repo = f"{hub.url}/{owner_name}/gated"

    owner.goto(f"{hub.url}/new")
    owner.get_by_label("Name").fill("gated")
    owner.get_by_role("button", name="Create repository").click()
    owner.wait_for_url(repo)
    tmp = Path(tempfile.mkdtemp())
    (tmp / "README.md").write_text(GATED_CARD)
    (tmp / "weights.txt").write_text("secret weights\n")
    owner.goto(f"{repo}/upload/main")
    owner.get_by_label("Files").set_input_files([str(tmp / "README.md"), str(tmp / "weights.txt")])
    owner.get_by_role("button", name="Commit").click()
    owner.wait_for_url(f"{repo}/commit/*")
    owner.goto(f"{repo}/settings")
    owner.get_by_label("Manual review of access requests").check()
    owner.get_by_role("button", name="Save").click()
    assert owner.get_by_text("Saved.").is_visible()

    # The asker sees the card and the form, but not the files' content.
    asker.goto(repo)
    assert asker.locator("article.card").get_by_role("heading", name="Gated model").is_visible()
    assert asker.get_by_text("Tell us who you are.").is_visible()
    assert asker.goto(f"{repo}/blob/main/weights.txt").status == 403
    assert asker.goto(f"{repo}/raw/main/weights.txt").status == 403
    asker.goto(repo)
    asker.get_by_label("Company").fill("Example Labs")
    asker.get_by_label("I will not misuse the model").check()
    asker.get_by_label("I agree to the conditions").check()
    shot(asker, "12-access-request-form")
    asker.get_by_role("button", name="Agree and ask for access").click()
    asker.wait_for_url(repo)
    assert asker.get_by_text("Your request is waiting for review").is_visible()
    assert asker.goto(f"{repo}/blob/main/weights.txt").status == 403

    # The owner reviews it in the settings and accepts.
    owner.goto(f"{repo}/settings")
    req = owner.locator(".request", has_text=asker_name)
    assert req.get_by_text("Example Labs").is_visible()
    shot(owner, "13-access-review")
    req.get_by_role("button", name=f"Accept {asker_name}").click()
    owner.wait_for_url(f"{repo}/settings*")
    assert owner.locator("#access").get_by_text(asker_name).is_visible()

    # Now the asker reads the files.
    r = asker.goto(f"{repo}/blob/main/weights.txt")
    assert r.status == 200
    assert "secret weights" in asker.locator("pre.src").inner_text()
    asker.goto(repo)
    assert asker.locator("section.gate").count() == 0
    shot(asker, "14-access-granted")
    owner_ctx.close()
    asker_ctx.close()
