"""The ops server: checks, diagnosis, runbooks, escalation and learning."""
