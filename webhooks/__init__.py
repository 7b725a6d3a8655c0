"""Standard Webhooks to external systems: what is published, signed, sent, retried and replayed."""
