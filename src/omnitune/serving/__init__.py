"""`omnitune models serve ID`: OpenAI-compatible HTTP endpoints for language, image, speech and music
versions (transformers/diffusers, or vLLM for language models)."""
