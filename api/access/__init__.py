"""Access to the tenant REST API: who is calling (:mod:`.caller`), the bearer guard
(:mod:`.guard`) and the write policy: nobody creates, changes, takes over or obtains
credentials for anything that holds more than they hold (:mod:`.policy`).

It sits above the OAuth server, whose tokens it checks, and below the resources
of :mod:`api.v1`, which it guards.
"""
