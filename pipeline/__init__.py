"""The stream worker (Faust) and the synchronous HTTP endpoint around the scoring core."""

__all__: list[str] = []
