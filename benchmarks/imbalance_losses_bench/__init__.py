"""Benchmarks of imbalance_losses against each framework's native loss (``imbalance-losses bench``)."""
