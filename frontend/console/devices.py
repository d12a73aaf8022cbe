"""Which browser on which system a ``User-Agent`` names, in a few words ("Firefox",
"Windows"), for the account page's list of sessions. A short table of tokens, most
specific first (Edge and Opera say "Chrome" too, Chrome says "Safari"); anything else is
unknown rather than guessed. Pure: no Flask, no I/O."""
from __future__ import annotations

#: (token in the User-Agent, browser), the first match wins.
BROWSERS = (
    ("Edg/", "Edge"), ("EdgA/", "Edge"), ("EdgiOS/", "Edge"),
    ("OPR/", "Opera"), ("Opera", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"), ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"), ("Chromium/", "Chromium"), ("Chrome/", "Chrome"),
    ("Version/", "Safari"),  # with "Safari/": Safari itself, after every Safari-alike
)
#: (token, system), the first match wins (Android says "Linux", iPhones "Mac OS X").
SYSTEMS = (
    ("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"),
    ("Windows", "Windows"), ("CrOS", "ChromeOS"), ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"), ("Linux", "Linux"),
)


def _first(user_agent: str, table) -> str | None:
    return next((name for token, name in table if token in user_agent), None)


def browser_and_system(user_agent: str | None) -> tuple[str | None, str | None]:
    """``("Firefox", "Windows")``; None for a part the ``User-Agent`` does not name."""
    if not user_agent:
        return None, None
    browser = _first(user_agent, BROWSERS)
    if browser == "Safari" and "Safari/" not in user_agent:
        browser = None
    return browser, _first(user_agent, SYSTEMS)
