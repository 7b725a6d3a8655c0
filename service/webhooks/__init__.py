"""The webhooks resource: subscriptions, delivery logs, replays and the published types."""
