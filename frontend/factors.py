"""What the sign-in and account pages share about second factors: the QR code as an
image the page's CSP allows (``img-src data:``), without marking the API's SVG safe."""
from __future__ import annotations

import base64


def qr_image(svg: str) -> str:
    """The API's QR code SVG as a ``data:`` URI for an ``<img>``."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
