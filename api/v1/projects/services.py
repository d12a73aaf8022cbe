"""Project use cases: each audits and commits once."""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy import RowMapping, Select, bindparam, func, select

from api import audit
from api.access.caller import Caller
from api.errors import NotFound
from api.extensions import db
from api.prepared import PreparedPage
from api.v1.projects.models import Project

#: Escapes the wildcards of a name filter (as SQLAlchemy's ``autoescape``).
_ESCAPE = "/"


def _page(named: bool, ids_as_text: bool) -> Select:
    """The tenant's projects, newest first, each with the count of them all; those whose
    name contains ``:name`` (LIKE-escaped with :data:`_ESCAPE`) when ``named``. With
    ``ids_as_text`` (PostgreSQL), the ids come as their canonical text, which is what a page
    shows of them: psycopg2 would parse each into a ``uuid.UUID`` to be printed back."""
    ids = [sa.cast(column, sa.Text).label(column.key) if ids_as_text else column
           for column in (Project.id, Project.owner_id)]
    statement = (select(ids[0], Project.name, Project.description, ids[1],
                        Project.created_at, Project.updated_at, func.count().over())
                 .where(Project.tenant_id == bindparam("tenant", type_=sa.Uuid))
                 .order_by(Project.created_at.desc())
                 .limit(bindparam("limit")).offset(bindparam("offset")))
    if named:
        statement = statement.where(Project.name.icontains(bindparam("name"), escape=_ESCAPE))
    return statement


#: A page of projects, by whether it is filtered by name: one prepared statement each.
_PAGES = {named: PreparedPage(f"tessera_projects{'_named' if named else ''}",
                              _page(named, ids_as_text=True), _page(named, ids_as_text=False))
          for named in (False, True)}


def list_projects(tenant_id: uuid.UUID, page: int, per_page: int,
                  name: str | None = None) -> tuple[list[RowMapping], int]:
    """A page of the tenant's projects (newest first; with ``name``, those whose name
    contains it, in any case) and how many there are in all."""
    if not name:
        return _PAGES[False].page(db.session, tenant_id, page, per_page)
    pattern = name.replace(_ESCAPE, 2 * _ESCAPE).replace("%", _ESCAPE + "%").replace(
        "_", _ESCAPE + "_")
    return _PAGES[True].page(db.session, tenant_id, page, per_page, name=pattern)


def get_project(project_id: uuid.UUID) -> Project:
    project = db.session.get(Project, project_id)
    if project is None:
        raise NotFound("No such project.")
    return project


def create_project(caller: Caller, name: str, description: str) -> Project:
    project = Project(name=name, description=description,
                      owner_id=caller.user.id if caller.user else None)
    db.session.add(project)
    db.session.flush()
    audit.record("project.created", caller.actor, project)
    db.session.commit()
    return project


def update_project(caller: Caller, project_id: uuid.UUID, changes: dict) -> Project:
    project = get_project(project_id)
    for field, value in changes.items():
        setattr(project, field, value)
    audit.record("project.updated", caller.actor, project, changed=sorted(changes))
    db.session.commit()
    return project


def delete_project(caller: Caller, project_id: uuid.UUID) -> None:
    project = get_project(project_id)
    audit.record("project.deleted", caller.actor, project)
    db.session.delete(project)
    db.session.commit()
