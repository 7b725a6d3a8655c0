"""Case pages: report a problem, my cases, a case with its timeline and actions, the board."""
