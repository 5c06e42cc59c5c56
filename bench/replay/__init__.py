"""Replay of selection strategies on recorded fine-tuning runs."""
