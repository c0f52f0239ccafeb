"""symhard: hard function classes for learning under symmetries."""

__version__ = "0.1.0"
