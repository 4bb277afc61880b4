"""Executors: how a leaf step becomes a host process (process groups, sandboxing)."""
