"""Questions answered from a topology: security lint and reachability (pure functions of the model)."""
