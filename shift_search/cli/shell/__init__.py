"""`shift shell`: an interactive SHiFT-QL prompt (prompt_toolkit, rich)."""
