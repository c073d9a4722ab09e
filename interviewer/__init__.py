"""interviewer: self-hostable mock interviews for LLM and Transformer engineering roles."""

from pathlib import Path

from interviewer import env as _env

_env.apply()

__version__ = "0.1.0"
# The package folder: data shipped with it (calibration/, migrations/) is found from here.
PACKAGE_DIR = Path(__file__).resolve().parent
