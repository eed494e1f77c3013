"""Benchmarks and quality measurements (installed as facecast.benchmarks; `facecast bench` runs them)."""
