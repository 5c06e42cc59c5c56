"""Task2Vec: a dataset embedded as a task through a probe network (Achille et al., ICCV 2019)."""
