"""Routing administration (departments, handlers, absences, rules), reassignment and follow-ups."""
