"""Configuration: schema, store, provider templates."""
