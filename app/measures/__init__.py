"""Measures: catalogue, SQL aggregation, manual measures and annotations."""
