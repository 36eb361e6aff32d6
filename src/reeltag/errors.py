"""Error types users see. Every one carries a message that says what to do."""


class ReeltagError(Exception):
    """Base class: the CLI prints the message (and exits non-zero) instead of a traceback."""

    exit_code = 2


class ContractFailed(ReeltagError):
    """A critical data-contract expectation failed; later steps must not run."""

    exit_code = 3


class UnreadableVideo(ReeltagError):
    """A video file cannot be decoded (corrupt, truncated, empty, not a video, absurd size…)."""


class BadInput(ReeltagError):
    """A user file is malformed; the message names the file and line."""


class NotFound(ReeltagError):
    """A model, alias or file a command needs does not exist yet."""


class TooFewVideos(ReeltagError):
    """Too few usable labelled videos for a step: a split without any, fewer than the fusion's folds."""


class RegistryUnavailable(ReeltagError):
    """The model registry could not be read (no tracking store, a locked or broken database, an MLflow error):
    not the same as "no champion", which is a registry that was read and names none."""


class OverBudget(ReeltagError):
    """A video is over a decode budget (pixels, frames, duration or wall time); the message names the limit."""
