"""The function side: evaluation inside Lambda, shipped in the function zip with the handler."""
