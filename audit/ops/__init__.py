"""Running the product in the background: the scheduler and its jobs, cron lines,
housekeeping of the database."""
