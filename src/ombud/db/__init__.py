"""Database backends Ombud ships."""
