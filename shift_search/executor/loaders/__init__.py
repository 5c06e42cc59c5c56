"""Model families: one loader per `source`, found through a registry; packaged weights."""
