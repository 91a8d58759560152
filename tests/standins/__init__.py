"""Stand-ins for the platforms: servers of our own on 127.0.0.1 that keep the real APIs' rules."""
