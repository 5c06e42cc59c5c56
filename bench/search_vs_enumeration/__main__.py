"""`python -m bench.search_vs_enumeration`: see `bench.search_vs_enumeration.command`."""

from bench.search_vs_enumeration.command import main

main()
