"""The K2K domain: aggregates, their events and rules, and the application that is the command side.

This package imports only the standard library and ``eventsourcing``.
"""
