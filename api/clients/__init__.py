"""OAuth clients registered with a tenant."""
