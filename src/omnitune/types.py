"""Closed vocabularies shared by every package: modalities, tasks, methods, job states."""

from __future__ import annotations

from enum import StrEnum


class Modality(StrEnum):
    """The five kinds of model omnitune trains."""

    LLM = "llm"
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    MULTIMODAL = "multimodal"


class Task(StrEnum):
    """What a trained model is for (a plan lists the most likely first)."""

    # llm
    INSTRUCTION_TUNING = "instruction_tuning"
    CHAT = "chat"
    DOMAIN_ADAPTATION = "domain_adaptation"
    KNOWLEDGE_INJECTION = "knowledge_injection"
    QUESTION_ANSWERING = "question_answering"
    CODE_GENERATION = "code_generation"
    CREATIVE_WRITING = "creative_writing"
    TRANSLATION = "translation"
    SUMMARIZATION = "summarization"
    REASONING = "reasoning"
    TOOL_USE = "tool_use"
    STYLE_ADAPTATION = "style_adaptation"
    PREFERENCE_ALIGNMENT = "preference_alignment"
    SAFETY_TUNING = "safety_tuning"
    LONG_CONTEXT = "long_context"
    MULTILINGUAL = "multilingual"
    DISTILLATION = "distillation"
    MODEL_MERGING = "model_merging"
    PRETRAINING = "pretraining"
    TEXT_CLASSIFICATION = "text_classification"
    EMBEDDINGS = "embeddings"
    # image
    TEXT_TO_IMAGE = "text_to_image"
    SUBJECT_DRIVEN = "subject_driven"
    STYLE_TRANSFER = "style_transfer"
    CONCEPT_LEARNING = "concept_learning"
    CONTROLNET_TRAINING = "controlnet_training"
    INPAINTING_MODEL = "inpainting_model"
    IMAGE_TO_IMAGE = "image_to_image"
    SUPER_RESOLUTION = "super_resolution"
    IMAGE_RESTORATION = "image_restoration"
    COLORIZATION = "colorization"
    BACKGROUND_REMOVAL = "background_removal"
    FACE_GENERATION = "face_generation"
    PRODUCT_PHOTOGRAPHY = "product_photography"
    LOGO_GENERATION = "logo_generation"
    TEXTURE_GENERATION = "texture_generation"
    IMAGE_CLASSIFICATION = "image_classification"
    # video
    TEXT_TO_VIDEO = "text_to_video"
    IMAGE_TO_VIDEO = "image_to_video"
    VIDEO_STYLE_TRANSFER = "video_style_transfer"
    VIDEO_ENHANCEMENT = "video_enhancement"
    FRAME_INTERPOLATION = "frame_interpolation"
    VIDEO_UPSCALING = "video_upscaling"
    LIP_SYNC = "lip_sync"
    TALKING_HEAD = "talking_head"
    MOTION_TRANSFER = "motion_transfer"
    VIDEO_CONTINUATION = "video_continuation"
    MUSIC_VIDEO = "music_video"
    VFX_GENERATION = "vfx_generation"
    VIDEO_CLASSIFICATION = "video_classification"
    # audio
    MUSIC_GENERATION = "music_generation"
    INSTRUMENT_GENERATION = "instrument_generation"
    SINGING_VOICE_SYNTHESIS = "singing_voice_synthesis"
    SINGING_VOICE_CONVERSION = "singing_voice_conversion"
    LYRICS_TO_SINGING = "lyrics_to_singing"
    SPEECH_SYNTHESIS = "speech_synthesis"
    VOICE_CLONING = "voice_cloning"
    VOICE_CONVERSION = "voice_conversion"
    SPEECH_RECOGNITION = "speech_recognition"
    SOUND_EFFECTS = "sound_effects"
    AUDIO_ENHANCEMENT = "audio_enhancement"
    AUDIO_RESTORATION = "audio_restoration"
    STEM_SEPARATION = "stem_separation"
    AUDIO_CLASSIFICATION = "audio_classification"
    # multimodal
    VISION_LANGUAGE = "vision_language"
    IMAGE_TEXT_ALIGNMENT = "image_text_alignment"
    AUDIO_VISUAL_GENERATION = "audio_visual_generation"
    SINGING_VIDEO = "singing_video"


TASKS_BY_MODALITY: dict[Modality, tuple[Task, ...]] = {
    Modality.LLM: tuple(Task)[0:21],
    Modality.IMAGE: tuple(Task)[21:37],
    Modality.VIDEO: tuple(Task)[37:50],
    Modality.AUDIO: tuple(Task)[50:64],
    Modality.MULTIMODAL: tuple(Task)[64:68],
}


def modality_of(task: Task) -> Modality:
    """The modality a task belongs to."""
    for modality, tasks in TASKS_BY_MODALITY.items():
        if task in tasks:
            return modality
    raise ValueError(f"task {task!r} belongs to no modality")


class Method(StrEnum):
    """How a model is trained."""

    SFT = "sft"
    FULL_FINETUNE = "full_finetune"
    LORA = "lora"
    QLORA = "qlora"
    CONTINUED_PRETRAINING = "continued_pretraining"
    PRETRAINING = "pretraining"
    DPO = "dpo"
    IPO = "ipo"
    ORPO = "orpo"
    KTO = "kto"
    SIMPO = "simpo"
    REWARD_MODELING = "reward_modeling"
    PPO = "ppo"
    GRPO = "grpo"
    DISTILLATION = "distillation"
    MERGING = "merging"
    DREAMBOOTH = "dreambooth"
    TEXTUAL_INVERSION = "textual_inversion"
    CONTROLNET = "controlnet"
    LYCORIS = "lycoris"
    CONTRASTIVE = "contrastive"
    CLASSIFICATION = "classification"


class Preset(StrEnum):
    """Trade-off between quality and speed/cost."""

    MAXIMUM_QUALITY = "maximum_quality"
    BALANCED = "balanced"
    MAXIMUM_SPEED = "maximum_speed"


class PipelineType(StrEnum):
    """How the models of a plan relate."""

    SINGLE = "single"
    SEQUENTIAL = "sequential"
    PARALLEL = "parallel"
    CHAINED = "chained"


class StepKind(StrEnum):
    """The kind of one step of a plan."""

    INSTALL = "install"
    DOWNLOAD = "download"
    PREPROCESS = "preprocess"
    TRAIN = "train"
    WIRE = "wire"
    EVALUATE = "evaluate"
    DEPLOY = "deploy"


class Executor(StrEnum):
    """Where a job runs."""

    LOCAL = "local"
    RAY = "ray"
    SKYPILOT = "skypilot"
    MODAL = "modal"


class DataFamily(StrEnum):
    """The normalised shape a prepared dataset has, per training family."""

    CHAT = "chat"  # {"messages": [{"role", "content"}]}
    PREFERENCE = "preference"  # {"prompt": [msgs], "chosen": [msgs], "rejected": [msgs]}
    UNPAIRED_PREFERENCE = "unpaired_preference"  # {"prompt": [msgs], "completion": [msgs], "label": bool}
    TEXT = "text"  # {"text": str}
    CLASSIFICATION = "classification"  # {"text": str, "label": str}
    PAIRS = "pairs"  # {"anchor": str, "positive": str} (sentence-embedding contrastive pairs)
    IMAGE = "image"  # {"file_name": rel path, "text": caption, ...}
    AUDIO = "audio"  # {"audio": rel path, "text": transcript/description, "sampling_rate": int}
    VIDEO = "video"  # {"video": rel path (frames dir or file), "text": caption}


class JobState(StrEnum):
    """Lifecycle of a job; terminal states never change again."""

    QUEUED = "queued"
    RUNNING = "running"
    PAUSING = "pausing"
    PAUSED = "paused"
    BUDGET_FROZEN = "budget_frozen"
    CANCELLING = "cancelling"
    CANCELLED = "cancelled"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def is_terminal(self) -> bool:
        """True once the job can no longer change state."""
        return self in (JobState.CANCELLED, JobState.SUCCEEDED, JobState.FAILED)


class RecipeKey(StrEnum):
    """Every recipe a plan may name; `recipes/registry.py` maps the implemented ones to code."""

    LLM_SFT = "llm_sft"  # sft, full_finetune, lora, qlora, continued_pretraining, pretraining
    LLM_PREFERENCE = "llm_preference"  # dpo, ipo, orpo, kto, simpo
    LLM_REWARD = "llm_reward"  # reward_modeling
    LLM_RL = "llm_rl"  # ppo, grpo
    LLM_DISTILL = "llm_distill"  # distillation
    LLM_MERGE = "llm_merge"  # merging
    TEXT_CLASSIFICATION = "text_classification"  # classification
    TEXT_EMBEDDINGS = "text_embeddings"  # contrastive
    IMAGE_LORA = "image_lora"  # lora, lycoris, full_finetune (text-to-image denoiser)
    IMAGE_DREAMBOOTH = "image_dreambooth"  # dreambooth
    IMAGE_TEXTUAL_INVERSION = "image_textual_inversion"  # textual_inversion
    IMAGE_CONTROLNET = "image_controlnet"  # controlnet
    IMAGE_CLASSIFICATION = "image_classification"  # classification, full_finetune, lora
    VIDEO_LORA = "video_lora"  # lora (text/image-to-video transformers)
    VIDEO_CLASSIFICATION = "video_classification"  # classification
    MUSIC_GENERATION = "music_generation"  # full_finetune, lora (MusicGen)
    SPEECH_RECOGNITION = "speech_recognition"  # full_finetune, lora (Whisper)
    SPEECH_SYNTHESIS = "speech_synthesis"  # full_finetune (SpeechT5, speaker embeddings)
    AUDIO_CLASSIFICATION = "audio_classification"  # classification
    VLM_SFT = "vlm_sft"  # sft, lora (vision-language)
    CLIP_CONTRASTIVE = "clip_contrastive"  # contrastive (image-text alignment)
