"""`datasets.load_dataset` on dataset repositories the test pushes: CSV and Parquet."""

import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datasets import load_dataset


@pytest.fixture(autouse=True)
def no_dataset_viewer(monkeypatch):
    """`datasets` first asks a Dataset Viewer at `datasets-server.<HF_ENDPOINT host>` for a Parquet
    export (and carries on when that fails). Agora has none, and on a machine without DNS that
    lookup may hang until it times out; switch the detour off so the test talks to the hub only."""
    import datasets.config

    monkeypatch.setattr(datasets.config, "USE_PARQUET_EXPORT", False)


def csv_bytes(rows):
    return ("id,text,label\n" + "".join(f"{i},{t},{l}\n" for i, t, l in rows)).encode()


@pytest.fixture
def csv_dataset(new_repo, api):
    repo_id = new_repo("csv", repo_type="dataset")
    train = [(i, f"sentence number {i}", i % 2) for i in range(50)]
    test = [(i, f"held out {i}", i % 3 == 0) for i in range(100, 110)]
    api.upload_file(path_or_fileobj=csv_bytes(train), path_in_repo="train.csv", repo_id=repo_id, repo_type="dataset")
    api.upload_file(path_or_fileobj=csv_bytes(test), path_in_repo="test.csv", repo_id=repo_id, repo_type="dataset")
    return repo_id, train, test


def test_load_csv_dataset(csv_dataset, tmp_path):
    repo_id, train, test = csv_dataset
    ds = load_dataset(repo_id, cache_dir=str(tmp_path / "datasets"))
    assert set(ds) == {"train", "test"}
    assert ds["train"].num_rows == len(train)
    assert ds["test"].num_rows == len(test)
    assert ds["train"][7] == {"id": 7, "text": "sentence number 7", "label": 1}
    assert ds["test"]["id"] == [r[0] for r in test]


def test_load_csv_dataset_at_a_pinned_revision(csv_dataset, api, tmp_path):
    repo_id, train, _ = csv_dataset
    pinned = api.dataset_info(repo_id).sha
    api.upload_file(path_or_fileobj=csv_bytes(train[:5]), path_in_repo="train.csv", repo_id=repo_id, repo_type="dataset")
    now = load_dataset(repo_id, split="train", cache_dir=str(tmp_path / "a"))
    then = load_dataset(repo_id, split="train", revision=pinned, cache_dir=str(tmp_path / "b"))
    assert now.num_rows == 5
    assert then.num_rows == len(train)


@pytest.fixture
def parquet_dataset(new_repo, api):
    repo_id = new_repo("parquet", repo_type="dataset")
    shards = []
    for s in range(2):
        table = pa.table(
            {
                "idx": pa.array(range(s * 1000, (s + 1) * 1000), pa.int64()),
                "value": pa.array([float(i) / 7 for i in range(s * 1000, (s + 1) * 1000)], pa.float64()),
                "tag": pa.array([f"t{i % 13}" for i in range(s * 1000, (s + 1) * 1000)]),
            }
        )
        buf = io.BytesIO()
        pq.write_table(table, buf, row_group_size=250)
        api.upload_file(
            path_or_fileobj=buf.getvalue(),
            path_in_repo=f"data/train-{s:05d}-of-00002.parquet",
            repo_id=repo_id,
            repo_type="dataset",
        )
        shards.append(table)
    val = pa.table({"idx": pa.array([-1, -2], pa.int64()), "value": pa.array([0.5, 1.5]), "tag": pa.array(["v", "v"])})
    buf = io.BytesIO()
    pq.write_table(val, buf)
    api.upload_file(path_or_fileobj=buf.getvalue(), path_in_repo="data/validation-00000-of-00001.parquet", repo_id=repo_id, repo_type="dataset")
    return repo_id, pa.concat_tables(shards), val


def test_load_parquet_dataset(parquet_dataset, api, tmp_path):
    repo_id, train, val = parquet_dataset
    # parquet files are stored through LFS by the default dataset .gitattributes
    infos = api.get_paths_info(repo_id, ["data/train-00000-of-00002.parquet"], repo_type="dataset")
    assert infos[0].lfs is not None
    ds = load_dataset(repo_id, cache_dir=str(tmp_path / "datasets"))
    assert set(ds) == {"train", "validation"}
    assert ds["train"].num_rows == train.num_rows
    assert sorted(ds["train"]["idx"]) == train.column("idx").to_pylist()
    assert ds["validation"].to_dict() == val.to_pydict()


def test_stream_parquet_dataset(parquet_dataset, tmp_path):
    """Streaming reads the files over HTTP with ranged requests through HfFileSystem."""
    repo_id, train, _ = parquet_dataset
    stream = load_dataset(repo_id, split="train", streaming=True, cache_dir=str(tmp_path / "datasets"))
    rows = list(stream)
    assert len(rows) == train.num_rows
    assert sorted(r["idx"] for r in rows) == train.column("idx").to_pylist()
    first = next(iter(load_dataset(repo_id, split="validation", streaming=True, cache_dir=str(tmp_path / "d2"))))
    assert first == {"idx": -1, "value": 0.5, "tag": "v"}
