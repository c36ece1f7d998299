"""Signatures: the pure engine (``engine/``, pyHanko, no Django), key backends, the development PKI
and the services that sign and verify documents with agency e-seals and officials' certificates.
"""
