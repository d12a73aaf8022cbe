"""Active grants as a REST resource: ``/tokens``; admins see all, users their own."""
