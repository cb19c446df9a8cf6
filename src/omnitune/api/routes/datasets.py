"""`/api/training/datasets`: upload (size-limited), list, inspect."""

from __future__ import annotations

from fastapi import APIRouter, File, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from omnitune.api.auth import CurrentUser
from omnitune.data.report import InspectionReport
from omnitune.services import datasets
from omnitune.services.datasets import DatasetUpload, UploadTooLargeError
from omnitune.services.paths import resolve_data_path

router = APIRouter(prefix="/api/training/datasets", tags=["datasets"])


class DatasetsResponse(BaseModel):
    """Your uploaded datasets."""

    datasets: list[DatasetUpload]


class InspectPathRequest(BaseModel):
    """A dataset path under an allowed root."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(..., min_length=1, max_length=4096)


@router.post("", response_model=DatasetUpload, status_code=201)
def upload(request: Request, user: CurrentUser, file: UploadFile = File(...)) -> DatasetUpload:
    """Upload one data file (a .zip is unpacked, e.g. an image folder); the answer's path goes in a plan."""
    declared = int(request.headers.get("content-length") or 0)
    if declared > datasets.max_upload_bytes() + (1 << 20):
        raise UploadTooLargeError(f"file: upload is over the {datasets.max_upload_bytes() >> 20} MB limit")
    return datasets.save_upload(user, file.filename or "data", file.file)


@router.get("", response_model=DatasetsResponse)
def list_datasets(user: CurrentUser) -> DatasetsResponse:
    """Your uploads, newest first."""
    return DatasetsResponse(datasets=datasets.list_uploads(user))


@router.post("/{upload_id}/inspect", response_model=InspectionReport)
def inspect_upload(upload_id: str, user: CurrentUser) -> InspectionReport:
    """Format, counts, statistics and problems of one of your uploads."""
    from omnitune.data import inspect

    return inspect(datasets.get_upload(user, upload_id).path)


@router.post("/inspect", response_model=InspectionReport)
def inspect_path(body: InspectPathRequest, user: CurrentUser) -> InspectionReport:
    """Inspect a dataset already on the server, under an allowed root."""
    from omnitune.data import inspect

    return inspect(resolve_data_path(body.path))
