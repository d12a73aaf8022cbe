"""The uWSGI mule that delivers the outbox (``mule = %dapi/mule.py`` in uwsgi.ini).

Like :mod:`api.wsgi` it is an entry point, so it may build the whole app.

Every :data:`POLL_SECONDS` it delivers the messages that are due: new ones the
request could not send and retries whose backoff has passed. It runs beside the
API's workers, so delivery needs nothing but the API itself.
"""
from __future__ import annotations

import logging
import time

POLL_SECONDS = 3
log = logging.getLogger("api.mule")


def run() -> None:
    """Deliver due messages forever (uWSGI stops the mule with the instance)."""
    from observability import configure_multiprocess

    configure_multiprocess("api")
    from api.app import create_app
    from api.extensions import db
    from api.outbox.services import deliver_due

    app = create_app()
    while True:
        with app.app_context():
            try:
                counts = deliver_due()
                if any(counts.values()):
                    log.info("outbox delivered", extra={"fields": counts})
            except Exception:  # the database may be down: try again next round
                log.exception("outbox delivery failed")
            finally:
                db.session.remove()
        time.sleep(POLL_SECONDS)


if __name__ == "__main__":  # uWSGI runs this file as __main__ in the mule
    run()
