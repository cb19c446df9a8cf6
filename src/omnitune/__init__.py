"""omnitune: plan and run training of LLM, image, video, audio and multimodal models from English."""

__version__ = "0.1.0"
