"""Fixed-window counters for throttling, shared by every API process."""
