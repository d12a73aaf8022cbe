"""The security log: ``audit.record(action, actor, target, **details)``."""
from api.audit.services import (DENIED, FAILURE, INSERT, OPERATOR, SUCCESS, VALUES, Actor,
                                Target, insert_parameters, record, record_now)

__all__ = ["DENIED", "FAILURE", "INSERT", "OPERATOR", "SUCCESS", "VALUES", "Actor", "Target",
           "insert_parameters", "record", "record_now"]
