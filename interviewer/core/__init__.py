"""The pure interview core: models, state machine, scoring and ports. No I/O, no frameworks."""
