"""Parameter utilities: mirrors ``torch.nn.utils`` (gradient clipping, parameter/vector conversion)."""
