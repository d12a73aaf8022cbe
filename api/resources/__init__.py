"""The tenant's APIs: RFC 8707 resource identifiers and the scopes each accepts."""
