"""Approvals (e-Approval): approval lines, steps, signed decisions, delegation and acting approval.

Owns the route a draft takes to a decision. Knows documents (what is approved) and signatures
(every decision is signed); must not know applications, issuance or any process using it.
"""
