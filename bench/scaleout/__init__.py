"""`python -m bench.scaleout`: executors scaling out on the shared work queue (issue 13)."""
