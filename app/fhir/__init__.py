"""FHIR R4 read API: checklists, pathways, goals and measures as FHIR resources under /fhir/R4."""
