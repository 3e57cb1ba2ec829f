"""Scheduled jobs: what is due when (schedule.py, definitions.py), the runner (runner.py)
and its use cases (service.py). The steps live in their features' jobs.py."""
