"""PODPAC's datalib nodes, as a node plugin registered through ``podpac_exec_register_nodes``
from its own entry point, as a third-party plugin would be."""
