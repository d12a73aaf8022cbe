"""The security log: ``audit.record(action, actor, target, **details)``."""
from api.audit.services import (DENIED, FAILURE, OPERATOR, SUCCESS, Actor, Target,
                                insert_statement, record, record_now)

__all__ = ["DENIED", "FAILURE", "OPERATOR", "SUCCESS", "Actor", "Target", "insert_statement",
           "record", "record_now"]
