"""bcbot: the domain (plans, incidents, checklists, rendering) and the composition root."""
