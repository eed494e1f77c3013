"""User-facing errors. Each message says what is wrong and what to do; the CLI prints them without a
traceback and the service returns them as error replies."""


class FacecastError(Exception):
    """Base of every error caused by the user's input or environment."""


class AudioError(FacecastError, ValueError):
    """The audio could not be used (unreadable, unsupported, empty, wrong parameters)."""


class AvatarError(FacecastError, ValueError):
    """The portrait could not be prepared (unreadable file, no face, several faces, face too small)."""


class ConfigError(FacecastError, ValueError):
    """An option or control has a value facecast cannot use."""
