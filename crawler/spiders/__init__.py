"""Spiders of the beian-audit crawler; `sites` is the one that audits."""
