"""The ``hitbenefit`` command line: thin commands over the engine and the adapters."""
