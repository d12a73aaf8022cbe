"""Console: the audit log, filtered."""
from __future__ import annotations

from flask import Blueprint, g, render_template

from frontend.console.page import console_page, query_filters

bp = Blueprint("audit", __name__)
#: Filters the log passes through to the API unchanged.
AUDIT_FILTERS = ("actor", "action", "since", "until", "page")


@bp.get("/audit")
@console_page
def show_audit(slug: str):
    filters = query_filters(AUDIT_FILTERS)
    for bound in ("since", "until"):  # a date from the form means midnight UTC
        if bound in filters and len(filters[bound]) == 10:
            filters[bound] += "T00:00:00+00:00"
    events = g.console.call("GET", "audit-events", params={**filters, "per_page": 25})
    return render_template("console/audit.html", slug=slug, events=events,
                           filters=query_filters(AUDIT_FILTERS))
