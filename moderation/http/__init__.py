"""The HTTP kit both adapters share: JSON in and out, cursors, query parameters, the client's
address, rate limits and problem+json answers."""
