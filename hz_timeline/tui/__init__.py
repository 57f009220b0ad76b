"""The Textual app (the only package besides ``cli`` that imports textual)."""
