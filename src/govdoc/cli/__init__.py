"""The ``govdoc`` command: parses arguments, calls services and selectors, prints results."""
