"""Search against fine-tuning everything: data, driving the services, pricing, the report."""
