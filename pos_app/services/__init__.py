"""Use cases the screen and the CLI share: one code path for both."""
