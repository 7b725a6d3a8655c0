"""The signed, verifiable event log: checkpoints, proofs and entries over HTTP, verify and export."""
