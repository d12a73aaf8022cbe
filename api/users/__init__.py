"""Users of a tenant and their passwords."""
