"""Median and percentiles for the benchmark scripts, printed the same way everywhere."""

from __future__ import annotations

import statistics


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report_ms(name: str, samples: list[float]) -> float:
    """Print median and p95 of samples in seconds, as milliseconds; return the median."""
    median = statistics.median(samples)
    p95 = percentile(samples, 0.95)
    print(
        f"{name:<30} median {median * 1000:7.2f} ms   p95 {p95 * 1000:7.2f} ms   (n={len(samples)})"
    )
    return median
