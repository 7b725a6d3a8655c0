"""The notifications resource: each person's outbox, the kinds, and the delivery log for admins."""
