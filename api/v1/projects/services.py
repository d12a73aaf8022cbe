"""Project use cases: each audits and commits once."""
from __future__ import annotations

import uuid

from sqlalchemy import Select, select

from api import audit
from api.access.caller import Caller
from api.errors import NotFound
from api.extensions import db
from api.v1.projects.models import Project


def list_projects(name: str | None = None) -> Select:
    statement = select(Project).order_by(Project.created_at.desc())
    if name:
        statement = statement.where(Project.name.icontains(name, autoescape=True))
    return statement


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
