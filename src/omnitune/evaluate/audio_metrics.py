"""Audio metrics: WER/CER for speech recognition (jiwer), SI-SDR for separation/enhancement, and PESQ/STOI
(torchmetrics over the `pesq` and `pystoi` packages, which must be installed for those two)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def word_error_rate(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Corpus WER and CER (lower is better)."""
    import jiwer

    if len(predictions) != len(references) or not references:
        raise ValueError(
            f"need as many transcripts as references (got {len(predictions)} and {len(references)})"
        )
    return {
        "wer": float(jiwer.wer(list(references), list(predictions))),
        "cer": float(jiwer.cer(list(references), list(predictions))),
    }


def si_sdr(estimate: Any, reference: Any) -> float:
    """Scale-invariant signal-to-distortion ratio in dB (higher is better), mean over a batch."""
    import torch
    from torchmetrics.functional.audio import scale_invariant_signal_distortion_ratio

    est, ref = torch.as_tensor(estimate, dtype=torch.float64), torch.as_tensor(reference, dtype=torch.float64)
    if est.shape != ref.shape:
        raise ValueError(f"SI-SDR needs equal shapes (got {tuple(est.shape)} and {tuple(ref.shape)})")
    return float(scale_invariant_signal_distortion_ratio(est, ref, zero_mean=True).mean())


def pesq_stoi(estimate: Any, reference: Any, sample_rate: int) -> dict[str, float]:
    """PESQ (wide band at 16 kHz, narrow band at 8 kHz) and STOI; needs `pesq` and `pystoi` installed."""
    import torch

    if sample_rate not in (8000, 16000):
        raise ValueError(f"PESQ is defined at 8000 or 16000 Hz; resample first (got {sample_rate})")
    est, ref = torch.as_tensor(estimate, dtype=torch.float32), torch.as_tensor(reference, dtype=torch.float32)
    try:
        from torchmetrics.functional.audio.pesq import perceptual_evaluation_speech_quality
        from torchmetrics.functional.audio.stoi import short_time_objective_intelligibility

        band = "wb" if sample_rate == 16000 else "nb"
        pesq = perceptual_evaluation_speech_quality(est, ref, sample_rate, band)
        stoi = short_time_objective_intelligibility(est, ref, sample_rate)
    except (ModuleNotFoundError, ImportError) as exc:
        raise ValueError(f"PESQ/STOI need extra packages: pip install pesq pystoi ({exc})") from None
    return {"pesq": float(pesq.mean()), "stoi": float(stoi.mean())}
