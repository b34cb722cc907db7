"""spacedsl."""
