"""A tenant's colour as a stylesheet, and its error page for people."""


def test_brand_css_is_cached_only_when_it_is_the_colour_the_page_expects(frontend, live):
    plain = frontend.get("/t/live/brand.css?v=")
    assert plain.status_code == 200 and plain.mimetype == "text/css"
    assert plain.headers["Cache-Control"] == "public, max-age=3600"
    stale = frontend.get("/t/live/brand.css?v=aa3300")  # the page expects another colour
    assert stale.headers["Cache-Control"] == "no-store"
    assert frontend.get("/t/nobody-here/brand.css").status_code == 404


def test_error_page_shows_only_known_codes(frontend, live):
    page = frontend.get("/t/live/error?error=invalid_client")
    assert page.status_code == 400 and "not registered" in page.get_data(as_text=True)
    odd = frontend.get('/t/live/error?error=<script>"x"</script>')
    html = odd.get_data(as_text=True)
    assert odd.status_code == 400 and "Sign-in could not start" in html and "<script>" not in html
