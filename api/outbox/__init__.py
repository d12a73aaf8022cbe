"""The durable outbox: messages that leave the server (mails, back-channel logout calls).

A use case enqueues a message in its own transaction; it is delivered after the
commit, from the request once the response is sent, by the uWSGI mule every few
seconds (retries with backoff), and on demand by ``flask --app api outbox flush``.
"""
