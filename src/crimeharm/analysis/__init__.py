"""Analyses built on the harm index (the consensus series, concentration, people)."""
