"""Metrics: resolution times, SLA breaches and priority problems solved (DESIGN §6)."""
