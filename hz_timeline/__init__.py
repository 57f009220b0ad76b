"""hz-timeline: turn Chinese news articles into a timeline you can trust and explore from the keyboard."""

__version__ = "0.1.0"
