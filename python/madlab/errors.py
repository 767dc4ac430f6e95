"""madlab's errors. Every message names the file, line or key at fault and says how to fix it.

ConfigError and DataError are the CLI's exit code 2 (a bad config, command-line value or input
file); NumericalError is a computation that cannot give a meaningful number; Error is their base
and any other failure madlab reports on purpose.
"""


class Error(RuntimeError):
    """Base of every error madlab raises on purpose."""


class ConfigError(Error, ValueError):
    """A bad config file, key or value (the message names the file, line and key)."""


class DataError(Error, ValueError):
    """A bad or unusable input: a malformed file, NaN in data, too few points."""


class NumericalError(Error, ArithmeticError):
    """A computation that cannot produce a meaningful number."""
