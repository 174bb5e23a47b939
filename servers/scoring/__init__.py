"""The scoring server: turns signals into scored candidates."""
