"""Checking written answers: verdicts, replays of hand calculations, the mistake registry, batches."""
