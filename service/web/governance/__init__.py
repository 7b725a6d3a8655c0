"""The governance pages: the decision register, meetings as the secretary records them, surveys."""
