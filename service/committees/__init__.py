"""Committees: the residents' committee of each PPR and its members over time."""
