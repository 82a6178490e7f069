"""riskstream's edge: the command line, the embedded stack and the demo.

This package wires the others together; no other package imports it.
"""

__all__: list[str] = []
