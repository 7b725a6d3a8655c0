"""Meetings: agenda, attendance, quorum, motions and minutes."""
