"""Models of calls.samples (label ``samples``)."""
