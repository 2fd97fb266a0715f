"""The meta level: evolving the generator (grammar weights, learned rules, operators) and the evidence."""
