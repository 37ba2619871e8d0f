"""The scheduler's jobs under the import path APScheduler stored before they moved to
:mod:`audit.ops.jobs`: a job store written by an earlier version still finds them (the
scheduler rewrites each job with its new path when it applies the configuration)."""

from audit.ops.jobs import bulletin, crawl, housekeeping, retest

__all__ = ["bulletin", "crawl", "housekeeping", "retest"]
