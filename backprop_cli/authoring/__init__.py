"""Authoring: problems made for a class, such as a variant of a template for each student with its key."""
