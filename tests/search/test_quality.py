"""The retrieval-quality set (bench/search_quality): well-formed labels and correct metrics."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
QUALITY = ROOT / "bench" / "search_quality"


@pytest.fixture(scope="module")
def evaluate():
    # bench/search_quality is part of the repository: a missing file fails here, loudly.
    spec = importlib.util.spec_from_file_location("search_quality_evaluate",
                                                  QUALITY / "evaluate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_labelled_set_covers_three_languages(evaluate):
    queries = evaluate.load_queries()
    assert len(queries) >= 50
    assert len({q["id"] for q in queries}) == len(queries)
    for lang in ("en", "fr", "es"):
        assert sum(q["lang"] == lang for q in queries) >= 15
    demo_file = ROOT / "src" / "ssehub" / "library" / "demo" / "items.yaml"
    keys = {entry["key"] for entry in yaml.safe_load(demo_file.read_text())["items"]}
    for query in queries:
        assert query["q"].strip()
        if query["id"].startswith("demo"):
            assert query["relevant"] and set(query["relevant"]) <= keys, query["id"]
            assert 2 in query["relevant"].values()
        else:
            assert isinstance(query["topic"], int) and query["place"]


def test_metrics(evaluate):
    grades = {1: 2, 2: 1, 3: 2}
    assert evaluate.ndcg_at([1, 3, 2], grades) == pytest.approx(1.0)
    assert evaluate.ndcg_at([], grades) == 0.0
    worse = evaluate.ndcg_at([9, 1, 3], grades)
    assert 0 < worse < evaluate.ndcg_at([1, 9, 3], grades) < 1
    assert evaluate.recall_at([1, 9], grades) == 0.5  # grade-2 items only
    assert evaluate.recall_at([3, 1, 2], grades) == 1.0
    assert evaluate.recall_at([1], {}) == 0.0
    # One relevant item of grade 2 at rank 2: DCG 3/log2(3), ideal 3.
    assert evaluate.ndcg_at([5, 1], {1: 2}) == pytest.approx(1 / math.log2(3))


def test_grades_for_generated_items(evaluate):
    generated = {10: {"topic": 3, "topic2": 5, "place": "Lyon"},
                 11: {"topic": 3, "topic2": 5, "place": "Dakar"},
                 12: {"topic": 5, "topic2": 3, "place": "Lyon"},
                 13: {"topic": 5, "topic2": 3, "place": "Quito"}}
    query = {"id": "gen-x", "topic": 3, "place": "Lyon"}
    assert evaluate.grades_for(query, {}, generated) == {10: 2, 11: 1, 12: 1}
    demo_query = {"id": "demo-x", "relevant": {"a": 2}, "topics": [5]}
    assert evaluate.grades_for(demo_query, {"a": 1}, generated) == {1: 2, 12: 1, 13: 1}
