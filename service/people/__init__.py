"""People: who the service notifies, with their contact points and preferences (personal data)."""
