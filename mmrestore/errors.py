"""The errors a user can fix: each prints as one line and exits with status 2 in a CLI.

Anything else reaching a CLI is a bug and is reported as one (with its traceback).
"""


class MMRestoreError(Exception):
    """Base class of user-facing errors (bad input, settings, paths or weights)."""


class VideoIOError(MMRestoreError):
    """An input that cannot be read or an output that cannot be written."""


class ModelLoadError(MMRestoreError):
    """A config or checkpoint that cannot make the requested model."""


class RestoreError(MMRestoreError):
    """Settings or paths that cannot work together, found before or during a restore."""


class DataError(MMRestoreError, ValueError):
    """Training or evaluation data that cannot be made or read as asked."""


class ModelInputError(MMRestoreError, ValueError):
    """Frames the model cannot take as they are (size, scale)."""
