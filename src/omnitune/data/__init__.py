"""Datasets: inspect, validate, normalise and preprocess per modality."""
