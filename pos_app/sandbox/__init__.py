"""Emulators of the three loyalty APIs: training mode, the test bed and benchmarks."""

#: The terminal id training mode runs as (named here so the CLI need not import the emulators).
TRAINING_TERMINAL = "training-till"
