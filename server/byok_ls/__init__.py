"""byok-ls: bring your own LLM API keys into any editor."""

__version__ = "0.1.0"
