"""One sentence encoder per process, shared by the SDG mapper and the search index."""

import numpy as np

from ssehub.core import embeddings


def test_the_mapper_and_search_share_one_encoder():
    from ssehub.sdg.model import load_model
    from ssehub.search.vectors import Encoder

    text = "Worker cooperatives create decent jobs in rural areas."
    search_vector = Encoder.encode([text])[0]
    model_vector = load_model().embed([text])[0]
    model_vector = model_vector / np.linalg.norm(model_vector)
    assert np.allclose(search_vector, model_vector, atol=1e-5)
    first = embeddings._model
    assert first is not None
    Encoder.encode(["another text"])
    load_model().embed(["yet another"])
    assert embeddings._model is first  # loaded once, reused by both


def test_empty_input_gives_an_empty_matrix():
    assert embeddings.encode([]).shape == (0, embeddings.DIM)
