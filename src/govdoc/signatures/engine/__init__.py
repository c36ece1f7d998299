"""The pure signature engine: bytes and plain configuration in, frozen dataclasses out.

The only GovDoc code that imports pyHanko. Never imports Django.
"""
