"""The `Encoder` protocol every loaded model offers, image inputs and token pooling."""
