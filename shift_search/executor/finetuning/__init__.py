"""Fine-tuning: training an encoder with a head, writing the result, the fine-tune task."""
