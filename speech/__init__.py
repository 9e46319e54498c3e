"""Streaming Mandarin speech recognition for sales calls.

A library: it knows nothing of the service in ``copilot/``. The main entry points are
:class:`speech.streaming.CallTranscriber` (live PCM frames in, partial and final segments
out) and :func:`speech.files.transcribe_file` (a whole recording at once).
"""
