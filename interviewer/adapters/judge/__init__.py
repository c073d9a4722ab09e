"""Judge adapters: the offline judge (sub-package `offline`) and the LLM judge through litellm."""
