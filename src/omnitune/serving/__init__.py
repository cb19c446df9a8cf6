"""`omnitune models serve ID`: an OpenAI-compatible HTTP endpoint backed by transformers."""
