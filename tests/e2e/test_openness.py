"""Openness in the hub: every repository is graded from its files and card; the grades show in
model_info, filter listings, and come as a report, a badge, a lineage view and AI-BOMs."""

import io
import json

from huggingface_hub import CommitOperationAdd
from conftest import opaque


def push(api, repo_id, card: str, files: dict[str, bytes] | None = None):
    ops = [CommitOperationAdd("README.md", card.encode())]
    ops += [CommitOperationAdd(p, b) for p, b in (files or {}).items()]
    return api.create_commit(repo_id, operations=ops, commit_message="card and files")


OPEN_WEIGHTS_CARD = "---\nlicense: apache-2.0\nlibrary_name: transformers\n---\n# A small model\n"
LLAMA_CARD = "---\nlicense: llama3\n---\n# A Llama 3 model\n"


def safetensors_file() -> bytes:
    """A real (tiny) safetensors file: one float32 tensor of four values."""
    header = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}).encode()
    header += b" " * (-len(header) % 8)
    return len(header).to_bytes(8, "little") + header + bytes(16)


def weights():
    return {"model.safetensors": safetensors_file(), "config.json": b'{"model_type": "llama"}'}


def test_model_info_carries_the_grades(new_repo, api):
    repo_id = new_repo("graded")
    push(api, repo_id, OPEN_WEIGHTS_CARD, weights())
    info = api.model_info(repo_id)
    assert info.openness["bucket"] == "open-weights"
    assert info.openness["osaid"] == "fail"  # no training code or data information
    assert info.openness["licence"] == "Apache-2.0"  # the SPDX id of the card's apache-2.0
    assert info.openness["licenceClass"] == "osi-approved"


def test_the_report_lists_unmet_requirements(new_repo, api, raw, hub):
    repo_id = new_repo("report")
    push(api, repo_id, LLAMA_CARD, weights())
    res = raw.get(f"/api/models/{repo_id}/openness", token=hub.alice.token)
    assert res.status == 200, res
    report = res.json()
    assert report["grades"]["bucket"]["bucket"] == "restricted_weights"
    unmet = [r for r in report["grades"]["osaid"]["requirements"] if not r["met"]]
    assert unmet, report["grades"]["osaid"]
    use = next(f for f in report["grades"]["freedoms"] if f["freedom"] == "use")
    assert use["state"] == "restricted"


def test_listings_filter_by_grade(new_repo, api, hub):
    open_id = new_repo("filter-open")
    push(api, open_id, OPEN_WEIGHTS_CARD, weights())
    restricted_id = new_repo("filter-llama")
    push(api, restricted_id, LLAMA_CARD, weights())
    # Grades are computed when a commit lands; reading the info waits for them.
    api.model_info(open_id), api.model_info(restricted_id)
    found = {m.id for m in api.list_models(author=hub.alice.name, filter="openness:open-weights")}
    assert open_id in found and restricted_id not in found
    found = {m.id for m in api.list_models(author=hub.alice.name, filter="openness:restricted-weights")}
    assert restricted_id in found and open_id not in found
    found = {m.id for m in api.list_models(author=hub.alice.name, filter="licence-class:community-model")}
    assert restricted_id in found and open_id not in found
    found = {m.id for m in api.list_models(author=hub.alice.name, filter=["licence-class:osi-approved", "openness:open-weights"])}
    assert open_id in found and restricted_id not in found


def test_badge_is_an_svg_naming_the_bucket(new_repo, api, raw):
    repo_id = new_repo("badge")
    push(api, repo_id, LLAMA_CARD, weights())
    res = raw.get(f"/api/models/{repo_id}/badge/openness.svg")
    assert res.status == 200, res
    assert res.header("Content-Type") == "image/svg+xml"
    assert b"<svg" in res.body and b"restricted weights" in res.body


def test_boms_in_both_formats(new_repo, api, raw):
    repo_id = new_repo("bom")
    commit = push(api, repo_id, OPEN_WEIGHTS_CARD, weights())
    cdx = raw.get(f"/api/models/{repo_id}/bom/main?format=cyclonedx")
    assert cdx.status == 200, cdx
    doc = cdx.json()
    assert doc["bomFormat"] == "CycloneDX" and doc["specVersion"] == "1.6"
    assert any(c.get("type") == "machine-learning-model" for c in doc.get("components", [doc["metadata"].get("component", {})]) + [doc["metadata"].get("component", {})])
    spdx = raw.get(f"/api/models/{repo_id}/bom/{commit.oid}?format=spdx")
    assert spdx.status == 200, spdx
    assert "spdx.org" in spdx.json()["@context"]
    bad = raw.get(f"/api/models/{repo_id}/bom/main?format=pdf")
    assert bad.status == 400


def test_a_relicensed_fine_tune_is_flagged(new_repo, api, raw):
    base_id = new_repo("llama-base")
    push(api, base_id, LLAMA_CARD, weights())
    child_id = new_repo("llama-tune")
    push(api, child_id, f"---\nlicense: apache-2.0\nbase_model: {base_id}\n---\n# Fine-tune\n", weights())
    res = raw.get(f"/api/models/{child_id}/lineage")
    assert res.status == 200, res
    lineage = res.json()
    assert lineage["baseModels"] == [{"id": base_id, "hosted": True}]
    codes = {f["code"] for f in lineage["check"]["findings"]}
    assert "relicensed" in codes, lineage["check"]
    base = raw.get(f"/api/models/{base_id}/lineage").json()
    assert child_id in base["derivatives"]


def test_private_grades_stay_private(new_repo, api, raw, hub):
    repo_id = new_repo("secret-grades", private=True)
    push(api, repo_id, OPEN_WEIGHTS_CARD, weights())
    for path in ["openness", "badge/openness.svg", "lineage", "bom/main"]:
        res = raw.get(f"/api/models/{repo_id}/{path}", token=hub.bob.token)
        assert res.status == 404 and res.header("X-Error-Code") == "RepoNotFound", (path, res)
    assert raw.get(f"/api/models/{repo_id}/openness", token=hub.alice.token).status == 200


def test_cyclonedx_boms_validate_against_the_official_schema(new_repo, api, raw):
    """Every BOM the hub serves is checked against the CycloneDX 1.6 JSON schema (strict), as
    shipped by the CycloneDX project's own Python library."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    data_id = new_repo("bom-data", repo_type="dataset")
    api.create_commit(
        data_id,
        repo_type="dataset",
        operations=[CommitOperationAdd("README.md", b"---\nlicense: cc-by-4.0\n---\n# Data\n"), CommitOperationAdd("train.csv", b"a,b\n1,2\n")],
        commit_message="data",
    )
    model_id = new_repo("bom-model")
    card = f"---\nlicense: llama3\ndatasets: [{data_id}]\nbase_model: meta-llama/Meta-Llama-3-8B\n---\n# Model\n## Training data\nSee the dataset.\n"
    push(api, model_id, card, {**weights(), "train.py": b"print('train')\n", "LICENSE": b"Apache License\nVersion 2.0, January 2004\n"})
    validator = JsonStrictValidator(SchemaVersion.V1_6)
    for path in [f"/api/models/{model_id}/bom/main", f"/api/datasets/{data_id}/bom/main", f"/api/models/{model_id}/bom/main?format=cyclonedx"]:
        res = raw.get(path)
        assert res.status == 200, (path, res)
        error = validator.validate_str(res.body.decode())
        assert error is None, (path, error)


def test_spdx_boms_load_into_the_official_spdx_3_model(new_repo, api, raw):
    """No offline copy of the SPDX 3.0.1 JSON schema exists on the registries this project can
    reach; the SPDX project's own Python bindings, generated from the official 3.0.1 model, are
    the check: every class, property, type and enum value must be known to them, every reference
    must resolve, and writing the document back enforces the model's cardinalities."""
    from spdx_python_model import v3_0_1 as spdx

    data_id = new_repo("spdx-data", repo_type="dataset")
    api.create_commit(
        data_id,
        repo_type="dataset",
        operations=[CommitOperationAdd("README.md", b"---\nlicense: cc-by-4.0\n---\n# Data\n"), CommitOperationAdd("train.csv", b"a,b\n1,2\n")],
        commit_message="data",
    )
    model_id = new_repo("spdx-model")
    push(api, model_id, f"---\nlicense: apache-2.0\ndatasets: [{data_id}]\n---\n# Model\n", {**weights(), "train.py": b"print('train')\n"})
    for path in [f"/api/models/{model_id}/bom/main?format=spdx", f"/api/datasets/{data_id}/bom/main?format=spdx"]:
        res = raw.get(path)
        assert res.status == 200, (path, res)
        objects = spdx.SHACLObjectSet()
        spdx.JSONLDDeserializer().read(io.StringIO(res.body.decode()), objects)
        unresolved = {r for r in objects.link() if not r.startswith("https://spdx.org/licenses/")}
        assert not unresolved, (path, unresolved)
        spdx.JSONLDSerializer().write(objects, io.BytesIO())
        kinds = {type(o).__name__ for o in objects.foreach()}
        assert "SpdxDocument" in kinds, kinds
        assert ("ai_AIPackage" if "models" in path else "dataset_DatasetPackage") in kinds, kinds
    model_doc = raw.get(f"/api/models/{model_id}/bom/main?format=spdx").json()
    relations = {o.get("relationshipType") for o in model_doc["@graph"] if o.get("type") == "Relationship"}
    assert "trainedOn" in relations, relations
