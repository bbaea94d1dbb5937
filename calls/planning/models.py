"""Models of calls.planning (label ``planning``)."""
