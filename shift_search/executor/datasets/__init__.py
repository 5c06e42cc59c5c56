"""Labelled data: readers for every format, fingerprints, segments and their chunk order."""
