"""`omnitune train` refuses what cannot run, saying what would."""

from __future__ import annotations

import pytest

from omnitune.plan import build_plan
from omnitune.services.training import TrainingRequestError, check_runnable


def test_a_model_marked_not_trainable_is_refused_with_the_trainable_route() -> None:
    plan = build_plan("animate my illustrations", base_model="svd-xt")
    with pytest.raises(TrainingRequestError) as err:
        check_runnable(plan)
    assert "trainable: false" in str(err.value) and "--base-model cogvideox-5b-i2v" in str(err.value)
