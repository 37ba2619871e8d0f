"""Findings: the audit of a run (load, reconcile, persist), the analysts' review and its
states."""
