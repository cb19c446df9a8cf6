"""Text recipes on the bundled pretrained MiniLM: classification and sentence embeddings."""
