"""Plumbing shared by the HTTP fronts only (Flask request scope, the gunicorn runner); no domain logic."""
