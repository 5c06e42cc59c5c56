"""Scorers for RANK … BY "<name>": built-in ones (LEEP, NCE, LogME, kNN, random) and
third-party plug-ins from the `shift.scorers` entry-point group. `api` is what a plug-in
imports (NumPy only); the rest runs on the executor."""
