"""The tenant REST API (``{issuer}/api/v1``), one package per resource.

Each resource has its schemas (shape and format), services (use cases that
take the :class:`~api.access.caller.Caller`, apply the write policy, audit and
commit once) and routes (load → one service call → dump). They sit on top:
above :mod:`api.access`, which guards them, and the domains they manage.
"""
