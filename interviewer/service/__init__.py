"""Application services: run interviews and grading over the core, through the ports."""
