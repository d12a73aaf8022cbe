// OAuth 2.0 Form Post Response Mode: post the authorization response to the client at once.
document.getElementById("form-post").submit();
