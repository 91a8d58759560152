"""The pure domain: money, orders, returns, resolutions, policy. Standard library only."""
