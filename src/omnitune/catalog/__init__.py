"""Catalog of models, hardware and prices (data files + loaders)."""
