"""Models: Model, Sequential and loading."""
