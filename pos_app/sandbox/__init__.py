"""Emulators of the three loyalty APIs: training mode, the test bed and benchmarks."""
