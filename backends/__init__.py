"""Built-in execution backends, installed as ``podpac_exec.backends``."""
