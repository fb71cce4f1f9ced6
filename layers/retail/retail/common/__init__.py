"""What every layer above the store may use: typed errors, settings, logs, clock, database."""
