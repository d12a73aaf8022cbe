"""Second factors: TOTP authenticators (RFC 6238), recovery codes, the tenant's MFA policy,
and the registry through which sign-in asks for any of them (:mod:`api.mfa.factors`)."""
