"""The REST API (django-ninja): parses input, calls one service or selector, renders.

``errors.py`` is the one place that maps domain errors to problem+json (RFC 9457).
"""
