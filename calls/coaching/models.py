"""Models of calls.coaching (label ``coaching``)."""
