"""Knowledge distillation on logits: a student learns the teacher's softened next-token distributions.

Run: `omnitune train --plan plan.json --data prepared/` with `models[0].recipe: llm_distill`; the
plan's base model is the student, hyperparameter `teacher_model` (a catalog id, Hub id or trained
artefact directory) the teacher. Data: family `chat` (assistant tokens) or `text` (every token).
Loss = alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * cross-entropy on the labels, with
temperature T (`temperature`, default 2.0) and `alpha` (or `alpha_kd`; default 0.5): Hinton et al.'s
recipe, as a short loss in a transformers Trainer subclass (trl's DistillationTrainer distils on-policy
generations, which is a different, much slower method on a CPU). Student and teacher must share a
tokenizer; a from-config student simply takes the teacher's. Reports the student's held-out KL to
the teacher and its own loss before and after.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from transformers import Trainer, TrainingArguments

from omnitune.recipes.base import RecipeContext, RecipeResult
from omnitune.recipes.hf_trainer_run import run_trainer
from omnitune.recipes.llm import sft_data
from omnitune.recipes.llm import trl_setup as setup
from omnitune.recipes.llm.finetuning import configure_threads
from omnitune.recipes.llm.models import load_model_and_tokenizer, load_tokenizer, resolve_model_source
from omnitune.types import Method, Modality


class DistillRecipe:
    """Teacher-to-student distillation on next-token logits."""

    key = "llm_distill"
    modality = Modality.LLM
    methods = frozenset({Method.DISTILLATION})

    def run(self, ctx: RecipeContext) -> RecipeResult:
        """Distil, report held-out KL to the teacher and student loss before/after, save the student."""
        hp = ctx.hyperparameters
        configure_threads(ctx.device, hp, ctx.checkpoints_dir)
        family = sft_data.read_family(ctx.data_dir)
        train, held = setup.read_splits(ctx, hp)
        teacher, student, tokenizer = _models(ctx, hp, sft_data.texts_for_tokenizer(train + held, family))
        max_len = int(hp.get("seq_len", 512))
        train_ex = sft_data.encode_records(tokenizer, train, family, max_len=max_len)
        held_ex = sft_data.encode_records(tokenizer, held, family, max_len=max_len)
        temperature = float(hp.get("temperature", 2.0))
        alpha = float(hp.get("alpha", hp.get("alpha_kd", 0.5)))
        before = distill_scores(student, teacher, held_ex, tokenizer.pad_token_id, temperature)
        trainer = DistillTrainer(
            teacher=teacher,
            temperature=temperature,
            alpha=alpha,
            model=student,
            args=TrainingArguments(**setup.trainer_kwargs(ctx, hp, default_lr=5e-4)),
            train_dataset=train_ex,  # a list of Examples; collate() pads them
            data_collator=lambda batch: sft_data.collate(batch, tokenizer.pad_token_id),
        )
        outcome = run_trainer(ctx, trainer)
        if outcome.result is not None:
            return outcome.result
        after = distill_scores(student, teacher, held_ex, tokenizer.pad_token_id, temperature)
        metrics = {f"{k}_before": v for k, v in before.items()} | {f"{k}_after": v for k, v in after.items()}
        metrics |= {"temperature": temperature, "alpha": alpha, **outcome.metrics}
        ctx.events.emit("evaluation", step=outcome.step, **metrics)
        setup.save_policy(ctx, student, tokenizer, hp, self.key, metrics)
        return RecipeResult("completed", outcome.step, ctx.output_dir, metrics)


def _models(ctx: RecipeContext, hp: dict[str, Any], texts: list[str]) -> tuple[Any, Any, Any]:
    """(teacher, student, shared tokenizer); a from-config student takes the teacher's tokenizer."""
    teacher_id = hp.get("teacher_model")
    if not teacher_id:
        raise ValueError(
            "llm_distill needs hyperparameter teacher_model (a catalog id, Hub id or model directory)"
        )
    teacher, tokenizer = load_model_and_tokenizer(str(teacher_id), train_texts=texts, seed=ctx.seed + 1)
    teacher.eval().requires_grad_(False)
    student_id = ctx.model.base_model
    if resolve_model_source(student_id).kind != "config":
        own = load_tokenizer(student_id)
        if own.get_vocab() != tokenizer.get_vocab():
            raise ValueError(
                f"student {student_id!r} and teacher {teacher_id!r} have different tokenizers; logit "
                "distillation needs one vocabulary: pick a student from the teacher's family"
            )
    student, _ = load_model_and_tokenizer(
        student_id, tokenizer=tokenizer, model_size=hp.get("student_size"), seed=ctx.seed
    )
    if student.get_output_embeddings().weight.shape[0] != teacher.get_output_embeddings().weight.shape[0]:
        student.resize_token_embeddings(teacher.get_output_embeddings().weight.shape[0])
    return teacher, student, tokenizer


def token_kl(student_logits: Any, teacher_logits: Any, labels: Any, temperature: float) -> Any:
    """Mean KL(teacher || student) at ``temperature`` over the positions that predict a label."""
    mask = labels[:, 1:] != sft_data.IGNORE_INDEX
    student_logp = torch.log_softmax(student_logits[:, :-1][mask].float() / temperature, dim=-1)
    teacher_logp = torch.log_softmax(teacher_logits[:, :-1][mask].float() / temperature, dim=-1)
    if student_logp.shape[0] == 0:
        return student_logits.sum() * 0.0
    return torch.nn.functional.kl_div(student_logp, teacher_logp, log_target=True, reduction="batchmean")


class DistillTrainer(Trainer):
    """A Trainer whose loss mixes KL to a frozen teacher's softened logits with the label loss."""

    def __init__(self, *, teacher: Any, temperature: float, alpha: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.teacher = teacher.to(self.args.device)
        self.temperature, self.alpha = temperature, alpha
        self._kl: list[float] = []

    def compute_loss(
        self, model: Any, inputs: dict[str, Any], return_outputs: bool = False, num_items_in_batch: Any = None
    ) -> Any:
        """alpha * T^2 * KL(teacher || student) + (1 - alpha) * cross-entropy."""
        outputs = model(**inputs)
        with torch.no_grad():
            teacher_logits = self.teacher(**{k: v for k, v in inputs.items() if k != "labels"}).logits
        kl = token_kl(outputs.logits, teacher_logits, inputs["labels"], self.temperature)
        self._kl.append(float(kl.detach()))
        loss = self.alpha * self.temperature**2 * kl + (1 - self.alpha) * outputs.loss
        return (loss, outputs) if return_outputs else loss

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        """Add the mean KL to the teacher since the last log line."""
        if self._kl and "loss" in logs:
            logs["kl_to_teacher"] = sum(self._kl) / len(self._kl)
            self._kl.clear()
        super().log(logs, start_time)


@torch.no_grad()
def distill_scores(
    student: Any, teacher: Any, examples: list[sft_data.Example], pad_id: int, temperature: float
) -> dict[str, float]:
    """Held-out KL(teacher || student) at ``temperature`` and the student's own loss and perplexity."""
    student.eval()
    kls, losses = [], []
    for start in range(0, len(examples), 8):
        batch = {
            k: v.to(student.device) for k, v in sft_data.collate(examples[start : start + 8], pad_id).items()
        }
        out = student(**batch)
        teacher_logits = teacher(**{k: v for k, v in batch.items() if k != "labels"}).logits
        kls.append(float(token_kl(out.logits, teacher_logits, batch["labels"], temperature)))
        losses.append(float(out.loss))
    loss = sum(losses) / len(losses)
    return {
        "kl_to_teacher": sum(kls) / len(kls),
        "student_loss": loss,
        "student_perplexity": math.exp(min(loss, 50)),
    }
