"""text_embeddings: contrastive MiniLM fine-tune; held-out recall@1 and MRR rise; the encoder reloads.

The pairs are "A gave the O to B" -> "B received the O from A". Every held-out triple also appears
swapped (B gave to A), so mean-pooled bag-of-words similarity cannot tell the two apart: the
pretrained encoder is near chance and must learn who gave to whom.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from alignment_helpers import make_ctx, one_thread, write_prepared

from omnitune.recipes.registry import get_recipe
from omnitune.types import DataFamily, Method

pytestmark = pytest.mark.usefixtures(one_thread.__name__)

NAMES = ["Alice", "Bob", "Carol", "David", "Emma", "Frank", "Grace", "Henry"]
OBJECTS = ["book", "letter", "ticket", "key", "photo", "ring"]


def _pair(giver: str, taker: str, thing: str) -> dict[str, str]:
    return {
        "anchor": f"{giver} gave the {thing} to {taker}",
        "positive": f"{taker} received the {thing} from {giver}",
    }


def _both_ways(triples: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    return [_pair(a, b, o) for a, b, o in triples] + [_pair(b, a, o) for a, b, o in triples]


@pytest.mark.slow
def test_embeddings_retrieval_improves_and_encoder_reloads(tmp_path: Path) -> None:
    triples = [(a, b, o) for (a, b), o in itertools.product(itertools.combinations(NAMES, 2), OBJECTS)]
    random.Random(0).shuffle(triples)
    data = write_prepared(
        tmp_path / "data", DataFamily.PAIRS, _both_ways(triples[:48]), _both_ways(triples[48:68])
    )
    hp = {"learning_rate": 1e-4, "batch_size": 16, "epochs": 2, "num_threads": 1}
    ctx, events = make_ctx(
        tmp_path,
        data,
        recipe="text_embeddings",
        method=Method.CONTRASTIVE,
        base_model="omnitune/minilm",
        hyperparameters=hp,
    )
    result = get_recipe("text_embeddings").run(ctx)

    assert result.status == "completed"
    m = result.metrics
    assert m["recall_at_1_after"] > m["recall_at_1_before"] + 0.3
    assert m["mrr_after"] > m["mrr_before"]
    assert m["final_loss"] < m["initial_loss"]
    assert len(events.metrics()) >= result.step > 0

    from sentence_transformers import SentenceTransformer

    from omnitune.recipes.text.embeddings import retrieval_scores

    reloaded = SentenceTransformer(str(ctx.output_dir), device="cpu")
    held = _both_ways(triples[48:68])
    assert retrieval_scores(reloaded, held)["recall_at_1"] == pytest.approx(m["recall_at_1_after"], abs=1e-6)
