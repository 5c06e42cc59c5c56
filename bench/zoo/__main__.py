"""`python -m bench.zoo`: see `bench.zoo.command`."""

from bench.zoo.command import main

main()
