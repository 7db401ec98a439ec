"""The vocabulary every flow uses: Incoming/Reply/Button types, flows and steps, the
context a step runs in, and the ports the running application fills in."""
