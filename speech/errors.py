"""The errors the speech library raises; each message tells the user what to do."""


class SpeechError(Exception):
    """Base class of every error raised by ``speech``."""


class AudioDecodeError(SpeechError):
    """A file could not be read as audio: missing, empty, truncated or not audio at all."""


class UnsupportedAudioError(SpeechError):
    """The audio is readable but has a shape we do not handle (e.g. five channels)."""


class StreamFormatError(SpeechError):
    """A live stream's header or one of its frames does not match the declared format."""


class ModelUnavailableError(SpeechError):
    """The configured speech model cannot be found, verified or loaded."""


class BackendMissingError(SpeechError):
    """An optional speech backend was selected but its package is not installed."""
