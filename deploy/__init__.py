"""vpcdraw's side that talks to AWS: the adapter, and (in later work) plan, apply, destroy and diff."""
