"""Inline completion: FIM prompts, context window, post-processing, cache."""
