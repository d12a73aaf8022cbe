"""Access to the tenant REST API: who is calling (:mod:`.caller`), the bearer guard
(:mod:`.guard`) and the ceilings on what a caller may grant or change (:mod:`.policy`).

It sits above the OAuth server, whose tokens it checks, and below the resources
of :mod:`api.v1`, which it guards.
"""
