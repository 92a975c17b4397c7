"""SSE Hub: the knowledge hub of the social and solidarity economy for the SDGs."""

__version__ = "0.1.0"
