"""Feature extraction from an encoder, and features cached per (model, segment chunk)."""
