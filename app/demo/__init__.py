"""The synthetic learning network behind `hph demo` (deterministic, scalable)."""
