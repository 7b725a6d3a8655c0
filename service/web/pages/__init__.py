"""The front page, the language switch and the pages' static files."""
