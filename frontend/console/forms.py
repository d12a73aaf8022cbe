"""Console forms (Flask-WTF: CSRF on every one)."""
from flask_wtf import FlaskForm
from wtforms import (BooleanField, EmailField, IntegerField, PasswordField, SelectField,
                     SelectMultipleField, StringField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

GRANTS = [SelectChoice("authorization_code", "Authorization code"),
          SelectChoice("refresh_token", "Refresh token"),
          SelectChoice("client_credentials", "Client credentials"),
          SelectChoice("urn:ietf:params:oauth:grant-type:device_code", "Device code"),
          SelectChoice("urn:ietf:params:oauth:grant-type:token-exchange", "Token exchange")]
DCR_MODES = [SelectChoice("off", "Off"),
             SelectChoice("open", "Open: anyone may register a client"),
             SelectChoice("initial_access_token", "Only with an initial access token")]


class ClientForm(FlaskForm):
    client_name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    grant_types = SelectMultipleField("Grants", choices=GRANTS, validators=[DataRequired()])
    scope = StringField("Scopes (space-separated)", validators=[Length(max=2000)])
    redirect_uris = TextAreaField("Redirect URIs (one per line)", validators=[Length(max=4000)])
    require_pkce = BooleanField(
        "Require PKCE", default=True,
        description="Every authorization request must carry a PKCE code challenge (S256), "
                    "which keeps a stolen authorization code useless. Untick only for a "
                    "legacy server-side application that cannot send one.")


class UserForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Initial password", validators=[DataRequired(), Length(max=256)])
    role = SelectField("Role", validators=[DataRequired()])


class RoleForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=64)])
    description = StringField("Description", validators=[Length(max=500)])
    permissions = SelectMultipleField("Permissions")


class SettingsForm(FlaskForm):
    name = StringField("Tenant name", validators=[DataRequired(), Length(max=200)])
    access_token_lifetime = IntegerField("Access token lifetime (seconds)",
                                         validators=[NumberRange(60, 86_400)])
    refresh_token_lifetime = IntegerField("Refresh token lifetime (seconds)",
                                          validators=[NumberRange(3600, 365 * 86_400)])
    self_signup_enabled = BooleanField("Users may sign themselves up")
    require_verified_email = BooleanField("Users must verify their email address before they "
                                          "sign in")
    password_min_length = IntegerField("Minimum password length",
                                       validators=[NumberRange(8, 64)])
    dynamic_client_registration = SelectField("Dynamic client registration", choices=DCR_MODES)
    registration_grant_types = SelectMultipleField("Grants a registered client may use",
                                                   choices=GRANTS)
    registration_scope = StringField("Scopes a registered client may have",
                                     validators=[Length(max=2000)])


class ResourceForm(FlaskForm):
    identifier = StringField("Identifier (URI)", validators=[DataRequired(), Length(max=2000)])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    scope = StringField("Scopes it accepts (space-separated)", validators=[Length(max=2000)])


class InitialAccessTokenForm(FlaskForm):
    description = StringField("Description", validators=[Length(max=200)])
    multi_use = BooleanField("Any number of registrations until it expires")
    expires_in = IntegerField("Valid for (seconds)", default=86_400,
                              validators=[NumberRange(60, 90 * 86_400)])


class PasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=256)])


class ProfileForm(FlaskForm):
    name = StringField("Full name", validators=[Optional(), Length(max=200)])
    given_name = StringField("Given name", validators=[Optional(), Length(max=100)])
    family_name = StringField("Family name", validators=[Optional(), Length(max=100)])


class EmailChangeForm(FlaskForm):
    email = EmailField("New email address", validators=[DataRequired(), Length(max=320)])
    current_password = PasswordField("Current password",
                                     validators=[DataRequired(), Length(max=256)])


class SignUpForm(FlaskForm):
    slug = StringField("Tenant slug", validators=[DataRequired(), Length(min=2, max=63)])
    name = StringField("Organisation name", validators=[DataRequired(), Length(max=200)])
    owner_email = EmailField("Your email", validators=[DataRequired(), Length(max=320)])
    owner_password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
