"""Detectors: positions (with steps) in, rows of schema.EVENTS out. They know nothing of files,
the CLI or how they are scheduled; each works on any subset of whole vessels."""
