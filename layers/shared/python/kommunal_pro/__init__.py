"""Kommunal PRO shared package: domain, storage, auth and API plumbing used by every function."""
