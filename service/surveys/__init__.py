"""Surveys: perception and trust waves for residents, management and the committee."""
