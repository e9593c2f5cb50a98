"""The client side: the backend that invokes the function per tile, and its cost reports."""
