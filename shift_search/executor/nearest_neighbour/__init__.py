"""Nearest-neighbour proxies: exact reproducible 1-NN search, stored summaries, k-NN."""
