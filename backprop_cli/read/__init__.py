"""Reading: positioned YAML, the fields of the format, each kind's reader, answers and addresses."""
