"""Router: sends each flagged signal to a department and a handler, with a follow-up due date."""
