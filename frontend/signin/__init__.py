"""Sign-in and consent pages: the browser half of the authorization code flow."""
