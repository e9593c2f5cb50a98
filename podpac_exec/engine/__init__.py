"""The evaluation engine: one call's settings, the tile planner, the fan-out of tiles and their statistics."""
