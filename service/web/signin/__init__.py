"""Signing in to the web pages: a one-time code by email or SMS, or an API token."""
