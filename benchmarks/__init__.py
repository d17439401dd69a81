"""Throughput measurements, each printed beside a baseline measured in the same run. Never asserted in tests."""
