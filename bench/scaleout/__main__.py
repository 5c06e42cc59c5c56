"""`python -m bench.scaleout`: see `bench.scaleout.command`."""

from bench.scaleout.command import main

main()
