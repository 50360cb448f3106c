"""The cashier's Qt screens. Knows services, never providers or SQL."""
