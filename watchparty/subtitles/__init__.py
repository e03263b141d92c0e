"""Uploaded subtitle files: read as WebVTT or SRT, kept with their room, served as WebVTT."""
