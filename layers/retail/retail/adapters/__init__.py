"""Clients for the outside world (WeChat ...), each with a local fake chosen by settings."""
