"""Pixels to VAE latents, per row and bucket; with ``cache_latents`` each image is encoded once.

The cache keeps the latent *distribution* (mean and log-variance), so every step still draws a
fresh latent sample, as the uncached path does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from omnitune.data.image import load_image_rgb
from omnitune.recipes.image.data import Row, to_tensor


class LatentSource:
    """Latents for batches of row indices, from a frozen VAE."""

    def __init__(
        self,
        vae: Any,
        rows: list[Row],
        data_dir: Path,
        buckets: list[tuple[int, int]],
        device: torch.device,
        dtype: torch.dtype,
        cache: bool,
    ) -> None:
        self.vae, self.rows, self.data_dir, self.buckets = vae, rows, Path(data_dir), buckets
        self.device, self.dtype = device, dtype
        self.shift = float(getattr(vae.config, "shift_factor", None) or 0.0)
        self.scale = float(vae.config.scaling_factor)
        self._cache: dict[int, torch.Tensor] = {}
        if cache:
            for i in range(len(rows)):
                self._cache[i] = self._encode([i]).cpu()

    def pixels(self, indices: list[int], key: str = "file_name", normalize: bool = True) -> torch.Tensor:
        """The rows' images (or conditioning images with ``key``) resized to their bucket."""
        tensors = []
        for i in indices:
            row = self.rows[i]
            path = self.data_dir / row[key]
            if not path.is_file():
                raise FileNotFoundError(
                    f"{self.data_dir}/train.jsonl:{row.get('_line')} [{key}]: {path} not found"
                )
            h, w = self.buckets[i]
            tensors.append(to_tensor(load_image_rgb(path, (w, h)), normalize))
        return torch.stack(tensors).to(self.device, self.dtype)

    @torch.no_grad()
    def _encode(self, indices: list[int]) -> torch.Tensor:
        parameters: torch.Tensor = self.vae.encode(self.pixels(indices)).latent_dist.parameters
        return parameters

    def latents(self, indices: list[int]) -> torch.Tensor:
        """Scaled latent samples for a batch (all rows of a batch share one bucket)."""
        from diffusers.models.autoencoders.vae import DiagonalGaussianDistribution

        if self._cache:
            parameters = torch.cat([self._cache[i] for i in indices]).to(self.device)
        else:
            parameters = self._encode(indices)
        sample = DiagonalGaussianDistribution(parameters).sample()
        return ((sample - self.shift) * self.scale).to(self.dtype)
