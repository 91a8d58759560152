"""Platform adapters, one package each, registered through entry points."""
