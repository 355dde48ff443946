"""Patients, pathways, events and scheduling."""
