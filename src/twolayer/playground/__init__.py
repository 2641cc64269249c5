"""The playground: watch two-layer networks train live (issue 9). This package holds the training
sessions; the web server and page build on :mod:`.session`."""

from .session import PROBLEMS, Session, Settings, parse_settings

__all__ = ["PROBLEMS", "Session", "Settings", "parse_settings"]
