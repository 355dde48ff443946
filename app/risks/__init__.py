"""Early intervention: risk rules over checklist answers, and the follow-ups they call for."""
