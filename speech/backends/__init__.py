"""One module per recognition backend; see ``speech.transcriber.BACKENDS``."""
