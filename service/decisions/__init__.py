"""Decisions: the public decision register and management's answers."""
