"""The one thing pyproject.toml cannot say: find every subpackage of spacedsl/ (so a new one ships
without a line here) and add the two folders installed under other names (see pyproject.toml)."""

from setuptools import find_packages, setup

setup(packages=find_packages(include=["spacedsl", "spacedsl.*"]) + ["spacedsl.grammars", "spacedsl_plugins"])
