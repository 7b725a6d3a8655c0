"""Cases: report, work, answer and read problems (DESIGN §4)."""
