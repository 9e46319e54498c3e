"""Bulk analysis: many recordings analysed into the store, once each, resumably.

``copilot batch DIR|MANIFEST`` (copilot/commands/batch.py) plans the recordings of a source
into a batch run (:mod:`copilot.batch.runs`), has worker processes or a Ray cluster
transcribe them (:mod:`copilot.batch.worker`, :mod:`copilot.batch.pools`), and stores each
result as a call exactly as an uploaded recording is stored (:mod:`copilot.batch.runner`).
Exports go through :mod:`copilot.batch.export`. docs/batch.md tells the whole story.
"""
