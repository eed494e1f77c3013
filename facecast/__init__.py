"""facecast: one portrait plus speech becomes a live talking face and pose parameters."""

import logging

__version__ = "0.1.0"
logger = logging.getLogger("facecast")
