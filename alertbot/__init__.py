"""alertbot: watches expo exhibitor lists and overseas IP gazettes for squats on watched enterprises."""

__version__ = "0.1.0"
