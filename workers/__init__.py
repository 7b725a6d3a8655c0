"""Background work that follows the event log: timed case closure now; the rq relay next."""
