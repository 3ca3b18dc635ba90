"""The SLA board and the public figures: what supervisors and the public read about the
promises (the summary, the breach list, the trend, transparency), from the figures `sla`
keeps current."""
