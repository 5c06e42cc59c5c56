"""A real model pool, built once: recipes, their build cache, measurement and the catalog."""
