"""The example problems, installed with the package as backprop_cli.examples (see pyproject.toml)."""
