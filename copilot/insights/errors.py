"""The errors insight extraction raises; each message tells the user what to do."""


class InsightError(Exception):
    """Base class of every error raised by ``copilot.insights``."""


class LexiconError(InsightError):
    """A lexicon or competitor YAML file is missing or does not match its schema."""


class BackendMissingError(InsightError):
    """An optional extraction backend was selected but its package is not installed."""


class PromptError(InsightError):
    """A prompt template is missing or malformed."""
