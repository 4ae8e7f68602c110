"""The pygls server: thin handlers over the services."""
