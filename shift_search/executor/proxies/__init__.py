"""The proxy registry, their parameters and devices, the linear probe and LogME."""
