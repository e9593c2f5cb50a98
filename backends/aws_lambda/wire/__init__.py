"""What travels between the client and the function: the request/response protocol and the array codec.

Shipped in the function zip (the function side encodes, the client side decodes)."""
