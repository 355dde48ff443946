"""The audit log: who read or wrote which patient's data."""
