"""Accounts: agencies (organizations) with their tree of units, people, roles and memberships.

Owns who is who and who may act where. Must not know documents, signatures or any process.
"""
