"""`python -m bench.replay`: see `bench.replay.command`."""

from bench.replay.command import main

main()
