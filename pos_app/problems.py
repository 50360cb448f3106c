"""Problems the command line reports as one sentence (kept free of heavy imports)."""


class ConfigError(Exception):
    """A configuration problem, phrased for the person installing the till."""


class JournalUnavailable(Exception):
    """The journal cannot be opened; the message says why and what to do."""
