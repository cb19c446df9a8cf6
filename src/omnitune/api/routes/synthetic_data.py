"""`/api/training/synthetic-data`: a generator model writes a training dataset, saved as one of yours."""

from __future__ import annotations

from fastapi import APIRouter

from omnitune.api.auth import CurrentUser
from omnitune.api.schemas import SyntheticDataRequest
from omnitune.services import synthetic_data
from omnitune.services.synthetic_data import SyntheticDataset

router = APIRouter(prefix="/api/training", tags=["datasets"])


@router.post("/synthetic-data", response_model=SyntheticDataset, status_code=201)
def synthesize(body: SyntheticDataRequest, user: CurrentUser) -> SyntheticDataset:
    """Generate, validate and deduplicate records; answers the dataset, the counts and the inspection."""
    generator = synthetic_data.generator_for_user(user, body.generator)
    return synthetic_data.synthesize_for_user(
        user, generator, body.description, body.count, body.format, body.examples, body.name
    )
