"""Model registry: versions, lineage, export, serving."""
