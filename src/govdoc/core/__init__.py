"""Core: the clock, the root error, JSON types and the data folder.

Owns no business concept and imports no other GovDoc domain.
"""
