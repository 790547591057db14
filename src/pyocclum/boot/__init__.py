"""Booting an instance: config -> keys -> kernel and mounts -> the entry process."""

from pyocclum.boot.instance import BuildReport, Instance, RunResult

__all__ = ["BuildReport", "Instance", "RunResult"]
