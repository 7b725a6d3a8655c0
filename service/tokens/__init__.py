"""API tokens: bearer secrets with a role and a PPR scope, stored only as hashes."""
