"""Console forms (Flask-WTF: CSRF on every one)."""
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

GRANTS = [SelectChoice("authorization_code", "Authorization code"),
          SelectChoice("refresh_token", "Refresh token"),
          SelectChoice("client_credentials", "Client credentials")]


class ClientForm(FlaskForm):
    client_name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    grant_types = SelectMultipleField("Grants", choices=GRANTS, validators=[DataRequired()])
    scope = StringField("Scopes (space-separated)", validators=[Length(max=2000)])
    redirect_uris = TextAreaField("Redirect URIs (one per line)", validators=[Length(max=4000)])
