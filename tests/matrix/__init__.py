"""Matrix tests: a real Synapse homeserver on 127.0.0.1, driven by matrix-nio clients."""
