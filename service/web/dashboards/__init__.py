"""Dashboards: charts with their tables and CSV, a case as of a moment, the audit checkpoint."""
