"""Audit: the append-only, hash-chained log of business events.

Owns: ``AuditEvent`` (one per write, in the writer's transaction), the chain head, signed and
timestamped checkpoints, and verification of the chain. Must not know any other domain: it
stores actors and targets as ids and labels, and receives signing and verification as
callables (the signatures domain provides them).
"""
