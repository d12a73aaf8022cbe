"""The durable outbox: messages (mails, later back-channel logout calls) that leave the server.

A use case enqueues a message in its own transaction; it is delivered after the
commit, from the request once the response is sent, by the uWSGI mule every few
seconds (retries with backoff), and on demand by ``flask --app api outbox flush``.
"""
