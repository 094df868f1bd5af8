"""Instructor-side tooling: the course CLI, nbgrader driver and grading sandbox."""
