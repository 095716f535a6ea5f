"""`transformers` AutoConfig / AutoTokenizer.from_pretrained on a small model repository the test
builds (a tokenizer trained with `tokenizers`, no network) and pushes."""

import pytest
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import AutoConfig, AutoTokenizer, BertConfig, PreTrainedTokenizerFast

CORPUS = [
    "agora is a self hosted hub for open models",
    "the hub speaks the hugging face protocol",
    "models and datasets live next to their code",
    "open weights are not the same as open source",
] * 5


def build_tokenizer() -> PreTrainedTokenizerFast:
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.WordPieceTrainer(vocab_size=200, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    tok.train_from_iterator(CORPUS, trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]"
    )


@pytest.fixture
def tiny_model(new_repo, api, tmp_path):
    repo_id = new_repo("tiny-bert")
    local = tmp_path / "tiny-bert"
    tokenizer = build_tokenizer()
    tokenizer.save_pretrained(local)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37)
    config.save_pretrained(local)
    assert (local / "config.json").exists() and (local / "tokenizer.json").exists()
    api.upload_folder(folder_path=str(local), repo_id=repo_id, commit_message="tiny bert")
    api.create_tag(repo_id, tag="v1")
    return repo_id, tokenizer, config


def test_auto_config_from_pretrained(tiny_model, tmp_path):
    repo_id, _, config = tiny_model
    got = AutoConfig.from_pretrained(repo_id, cache_dir=str(tmp_path / "cache"))
    assert type(got) is BertConfig
    assert got.hidden_size == 32 and got.num_hidden_layers == 1
    assert got.vocab_size == config.vocab_size


def test_auto_tokenizer_from_pretrained(tiny_model, tmp_path):
    repo_id, local_tokenizer, _ = tiny_model
    tok = AutoTokenizer.from_pretrained(repo_id, cache_dir=str(tmp_path / "cache"))
    text = "the hub speaks open models"
    assert tok(text)["input_ids"] == local_tokenizer(text)["input_ids"]
    assert tok.convert_ids_to_tokens(tok(text)["input_ids"]) == local_tokenizer.convert_ids_to_tokens(local_tokenizer(text)["input_ids"])
    assert tok.pad_token == "[PAD]" and tok.unk_token == "[UNK]"
    assert len(tok) == len(local_tokenizer)


def test_from_pretrained_pinned_and_then_from_the_cache(tiny_model, api, tmp_path):
    repo_id, _, _ = tiny_model
    cache = str(tmp_path / "cache")
    # Change the config on main; the tag still gives the original
    api.upload_file(
        path_or_fileobj=b'{"model_type": "bert", "hidden_size": 64, "num_attention_heads": 2, "num_hidden_layers": 1, "intermediate_size": 37, "vocab_size": 100}',
        path_in_repo="config.json",
        repo_id=repo_id,
    )
    assert AutoConfig.from_pretrained(repo_id, cache_dir=cache).hidden_size == 64
    assert AutoConfig.from_pretrained(repo_id, revision="v1", cache_dir=cache).hidden_size == 32
    sha = api.model_info(repo_id, revision="v1").sha
    assert AutoConfig.from_pretrained(repo_id, revision=sha, cache_dir=cache).hidden_size == 32
    # Everything needed is now cached: no request needed
    AutoTokenizer.from_pretrained(repo_id, revision="v1", cache_dir=cache)
    assert AutoConfig.from_pretrained(repo_id, revision="v1", cache_dir=cache, local_files_only=True).hidden_size == 32
    tok = AutoTokenizer.from_pretrained(repo_id, revision="v1", cache_dir=cache, local_files_only=True)
    assert tok.unk_token == "[UNK]"
