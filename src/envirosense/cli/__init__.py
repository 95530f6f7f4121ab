"""The ``envirosense`` command."""
