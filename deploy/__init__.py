"""vpcdraw's side that talks to AWS: the adapter, live reading, plan, apply, destroy, diff and import."""

DEFAULT_PARALLELISM = 10  # AWS calls at once during apply and destroy; as Terraform's default
