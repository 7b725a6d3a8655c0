"""Standard Webhooks deliveries to external systems (issue 7); nothing is published yet."""
