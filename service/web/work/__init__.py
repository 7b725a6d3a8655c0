"""Work queues: the cases whose move is management's or the committee's, overdue first."""
