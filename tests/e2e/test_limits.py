"""Abuse limits: per-token and per-address windows, answered with 429 and the RateLimit headers
that huggingface_hub parses. These tests start hubs of their own with small quotas."""

import re
import shutil
import tempfile
from pathlib import Path

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from conftest import Raw, _account, _serve, assert_hub_error


@pytest.fixture
def limited_hub():
    work = Path(tempfile.mkdtemp(prefix="agora-limits-"))
    data = work / "data"
    data.mkdir()
    users = [_account(data, n) for n in ("alice", "bob", "carol")]
    h = _serve(work, data, *users, "none", extra=("--rate-limit-api", "5", "--rate-limit-resolvers", "3", "--rate-limit-window", "60"))
    yield h
    h.process.terminate()
    h.process.wait(timeout=10)
    shutil.rmtree(work, ignore_errors=True)


def remaining(res):
    m = re.fullmatch(r'"(\w+)";r=(\d+);t=(\d+)', res.header("RateLimit") or "")
    assert m, res
    return m.group(1), int(m.group(2)), int(m.group(3))


def test_an_address_gets_its_quota_then_429(limited_hub):
    raw = Raw(limited_hub)
    seen = []
    for _ in range(5):
        res = raw.get("/api/models")
        assert res.status == 200, res
        seen.append(remaining(res))
        assert res.header("RateLimit-Policy") == '"fixed window";"api";q=5;w=60'
    assert [r for _, r, _ in seen] == [4, 3, 2, 1, 0]
    res = raw.get("/api/models")
    assert_hub_error(res, 429)
    bucket, left, reset = remaining(res)
    assert (bucket, left) == ("api", 0) and 0 < reset <= 60
    assert 0 < int(res.header("Retry-After")) <= 60
    # The client reads the headers and says why (listings would sleep until the reset and retry).
    with pytest.raises(HfHubHTTPError) as e:
        HfApi(endpoint=limited_hub.url, token=False).model_info("alice/anything")
    assert e.value.response.status_code == 429
    assert "you have reached your 'api' rate limit" in str(e.value)
    # A token has a window of its own.
    res = raw.get("/api/whoami-v2", token=limited_hub.alice.token)
    assert res.status == 200 and remaining(res)[1] == 4


def test_each_token_has_its_own_window_and_downloads_another_bucket(limited_hub):
    raw = Raw(limited_hub)
    for _ in range(5):
        assert raw.get("/api/whoami-v2", token=limited_hub.bob.token).status == 200
    assert_hub_error(raw.get("/api/whoami-v2", token=limited_hub.bob.token), 429)
    assert raw.get("/api/whoami-v2", token=limited_hub.carol.token).status == 200
    # Downloads count in the resolvers bucket, which bob has not spent.
    res = raw.get("/bob/none/resolve/main/x.txt", token=limited_hub.bob.token)
    assert res.status == 404 and remaining(res)[0] == "resolvers"


def test_made_up_tokens_spend_the_address(limited_hub):
    raw = Raw(limited_hub)
    for i in range(5):
        assert_hub_error(raw.get("/api/whoami-v2", token=f"hf_forged{i}"), 401)
    # Guessing from this address now waits, whatever the token; anonymous reading goes on.
    assert_hub_error(raw.get("/api/whoami-v2", token="hf_forged-again"), 429)
    assert_hub_error(raw.get("/api/whoami-v2", token=limited_hub.carol.token), 429)
    assert raw.get("/api/models").status == 200
