"""The security log: ``audit.record(action, actor, target, **details)``."""
from api.audit.services import (ANONYMOUS, DENIED, FAILURE, OPERATOR, SUCCESS, Actor,
                                record)

__all__ = ["ANONYMOUS", "DENIED", "FAILURE", "OPERATOR", "SUCCESS", "Actor", "record"]
