"""Read models built from the global event log, each with its own tracked position."""
