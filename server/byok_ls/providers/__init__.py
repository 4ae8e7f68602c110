"""Provider adapters, one module per wire format.

``registry.adapter_for(endpoint)`` gives the adapter for a configured endpoint;
``registry.close_all()`` closes their pooled connections. Nothing is imported here, so the
wire-neutral ``types`` can be used without loading the HTTP stack.
"""
