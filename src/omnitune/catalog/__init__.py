"""Catalog of models, hardware and prices (data files + loaders)."""

from omnitune.catalog.entries import CatalogModel, get_model, load_models

__all__ = ["CatalogModel", "get_model", "load_models"]
