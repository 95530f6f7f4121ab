"""Alembic migrations of the EnviroSense database (applied by ``envirosense db upgrade``)."""
