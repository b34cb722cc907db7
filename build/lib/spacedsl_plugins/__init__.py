"""Built-in spacedsl plugins."""
