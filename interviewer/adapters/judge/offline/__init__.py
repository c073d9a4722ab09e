"""The offline judge: units of an answer, embeddings, calibration, misconception check, claim verifiers."""
