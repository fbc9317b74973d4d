"""The A2A v1.0 JSON-RPC layer: wire models, errors, server router and client."""
