"""interviewer: self-hostable mock interviews for LLM and Transformer engineering roles."""

from interviewer import env as _env

_env.apply()

__version__ = "0.1.0"
