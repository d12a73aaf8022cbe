"""Signals about users that other domains act on (the OAuth server revokes tokens).

Sending a signal keeps the dependency pointing the right way: users never
import the OAuth server, which subscribes in :mod:`api.oauth.subscriptions`.
"""
from blinker import Namespace

_signals = Namespace()

#: The user's permissions shrank (demotion, role edited): revoke grants above them.
permissions_reduced = _signals.signal("permissions-reduced")
#: The user can no longer sign in (deactivated, deleted): revoke every grant, end every
#: sign-in session.
access_ended = _signals.signal("access-ended")
#: Signed out everywhere: revoke every grant and end every sign-in session.
signed_out = _signals.signal("signed-out")
#: The password changed: revoke every grant and end every sign-in session but the one that
#: changed it (``keep``).
password_changed = _signals.signal("password-changed")
