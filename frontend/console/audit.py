"""Console: the audit log for investigations: filtered by actor, target, action, outcome and
time (UTC), paged, each event's details on demand, and a CSV export of what the filters
select."""
from __future__ import annotations

import csv
import io
import json
import re

from flask import Blueprint, Response, g, render_template

from frontend.api_client import ApiError
from frontend.console.labels import ACTIONS, GROUPS, action_label, target_kind
from frontend.console.page import PICKER_LIMIT, console_page, query_filters
from frontend.feedback import messages_of

bp = Blueprint("audit", __name__)
#: Filters of the page; the time bounds are read as UTC.
AUDIT_FILTERS = ("actor", "target", "action", "outcome", "since", "until")
CSV_COLUMNS = ("created_at", "action", "outcome", "actor", "actor_type", "target_type",
               "target_label", "target_id", "ip", "user_agent", "request_id", "details")


def _api_filters(filters: dict) -> dict:
    """The page's filters as the API takes them: a date or minute from the form is UTC."""
    api = dict(filters)
    for bound in ("since", "until"):
        value = api.get(bound, "")
        if re.fullmatch(r"\d{4}-\d\d-\d\d", value):
            api[bound] = value + "T00:00:00+00:00"
        elif re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", value):
            api[bound] = value + ":00+00:00"
    return api


@bp.get("/audit")
@console_page
def show_audit(slug: str):
    filters = query_filters(AUDIT_FILTERS)
    problems = []
    try:
        events = g.console.page("audit-events", _api_filters(filters))
    except ApiError as error:
        if error.status not in (400, 422):
            raise
        problems = messages_of(error)
        events = {"items": [], "page": 1, "per_page": 25, "total": 0}
    return render_template("console/audit.html", slug=slug, events=events, filters=filters,
                           problems=problems, actions=ACTIONS, groups=GROUPS,
                           label=action_label, kind=target_kind), 400 if problems else 200


@bp.get("/audit.csv")
@console_page
def export_audit(slug: str):
    """Every event the filters select (up to PICKER_LIMIT), as CSV."""
    filters = query_filters(AUDIT_FILTERS)
    events = g.console.every("audit-events", **_api_filters(filters))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for event in events[:PICKER_LIMIT]:
        writer.writerow([_cell(json.dumps(event["details"]) if name == "details"
                               else event.get(name)) for name in CSV_COLUMNS])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="audit-{slug}.csv"',
        "Cache-Control": "no-store"})


def _cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
