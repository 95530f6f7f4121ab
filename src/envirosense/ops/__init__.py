"""Cross-cutting operations support: structured logging, metrics, resilience, experiment tracking."""
