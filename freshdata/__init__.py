"""freshdata: daily fresh web text for LLM training data."""

__version__ = "0.1.0"
