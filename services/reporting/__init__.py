"""The plan's periodic reports as obligations met: the record that a report was sent."""
