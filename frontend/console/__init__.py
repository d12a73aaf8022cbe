"""The tenant console: a first-party client of each tenant; tokens stay server-side."""
