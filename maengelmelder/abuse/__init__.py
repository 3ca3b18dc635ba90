"""Abuse and spam defences: intake speed bumps, the block list, "report abuse", e-mail confirmation.

`service` holds the intake checks, the block list and the holds put on new reports; `flags` the
citizens' abuse flags and their dismissal; `confirmation` the e-mail confirmation links; `routes`
and `cli` are thin layers over them. See docs/abuse.md.
"""
