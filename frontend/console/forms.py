"""Console and sign-up forms (Flask-WTF: CSRF on every one).

Fields check what people can fix before the API is asked: required values,
lengths within the standards' limits (RFC 5321 for email addresses), formats.
The API checks again and its refusals land on the same fields
(:mod:`frontend.feedback`).
"""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, EmailField, IntegerField, PasswordField, RadioField,
                     SelectField, SelectMultipleField, StringField, TextAreaField, URLField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (DataRequired, Email, EqualTo, Length, NumberRange, Optional,
                                Regexp, StopValidation)
from wtforms.widgets import CheckboxInput, ListWidget

DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
GRANTS = [SelectChoice("authorization_code", "Authorization code (people sign in)"),
          SelectChoice("refresh_token", "Refresh token (stay signed in)"),
          SelectChoice("client_credentials", "Client credentials (the app acts for itself)"),
          SelectChoice(DEVICE_CODE, "Device code (people approve on another device)"),
          SelectChoice("urn:ietf:params:oauth:grant-type:token-exchange",
                       "Token exchange (a service passes a caller's token on)"),
          SelectChoice("password", "Password (legacy; avoid)")]
#: Application types, as Auth0 and Zitadel offer them: what each registers.
APP_TYPES = {
    "web": {"label": "Web application",
            "hint": "Runs on a server that keeps a secret (Django, Rails, Express, Spring).",
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "client_secret_basic"},
    "spa": {"label": "Single-page application",
            "hint": "Runs in the browser (React, Vue, Angular): no secret, PKCE required.",
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "none"},
    "native": {"label": "Native or mobile app",
               "hint": "Installed on a phone or desktop: no secret, PKCE required.",
               "grant_types": ["authorization_code", "refresh_token"],
               "token_endpoint_auth_method": "none"},
    "device": {"label": "Device or command-line tool",
               "hint": "A TV, a printer or a CLI without a handy browser: people approve it "
                       "with a code on another device. No secret.",
               "grant_types": [DEVICE_CODE, "refresh_token"],
               "token_endpoint_auth_method": "none"},
    "m2m": {"label": "Machine to machine",
            "hint": "A service or script calling an API as itself, with no person signing in.",
            "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": "client_secret_basic"},
}
#: The password grant is for clients an administrator registers on purpose.
REGISTRABLE_GRANTS = [choice for choice in GRANTS if choice.value != "password"]
DCR_MODES = [SelectChoice("off", "Off"),
             SelectChoice("open", "Open: anyone may register a client"),
             SelectChoice("initial_access_token", "Only with an initial access token")]
MFA_POLICIES = [SelectChoice("off", "Off: nobody adds a second factor"),
                SelectChoice("optional", "Optional: each person decides"),
                SelectChoice("required_for_admins", "Required for owners and admins"),
                SelectChoice("required", "Required for everyone")]
UNITS = [SelectChoice("60", "minutes"), SelectChoice("3600", "hours"),
         SelectChoice("86400", "days")]
HTTPS = Regexp(r"^https://[^\s]+$", message="Must be an https:// address.")


def mailbox_limits(form, field) -> None:
    """RFC 5321 §4.5.3.1: at most 64 characters before the @, 254 in all (one message: the
    checks after this one would only repeat it)."""
    local, _, _ = (field.data or "").rpartition("@")
    if len(local) > 64:
        raise StopValidation(_l("The part before @ can have at most 64 characters."))
    if len(field.data or "") > 254:
        raise StopValidation(_l("An email address can have at most 254 characters."))


def email_field(label: str) -> EmailField:
    return EmailField(label, validators=[DataRequired(), mailbox_limits,
                                         Email(message=_l("Not a valid email address."))])


def new_password_field(label: str) -> PasswordField:
    """A new password; the API checks it against the tenant's policy (its minimum length,
    common and personal words) and its refusal lands on this field."""
    return PasswordField(label, validators=[DataRequired(), Length(
        max=256, message=_l("Use at most 256 characters."))])


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def https_field(label: str) -> URLField:
    return URLField(label, validators=[Optional(), Length(max=2000), HTTPS])


def require_pkce_field() -> BooleanField:
    return BooleanField(
        "Require PKCE", default=True,
        description="Every authorization request must carry a PKCE code challenge (S256), "
                    "which keeps a stolen authorization code useless. Untick only for a "
                    "legacy server-side application that cannot send one.")


class ClientDisplayForm(FlaskForm):
    """What the consent page shows people about the application."""

    logo_uri = https_field("Logo URL")
    client_uri = https_field("Homepage")
    policy_uri = https_field("Privacy policy")
    tos_uri = https_field("Terms of service")


class ClientSignOutForm(ClientDisplayForm):
    """What the consent page shows, and signing out (RP-Initiated and Back-Channel Logout)
    and browser access (CORS)."""

    post_logout_redirect_uris = TextAreaField(
        "Sign-out return URIs (one per line)", validators=[Length(max=4000)],
        description="Where the application may send people back to after signing out "
                    "(post_logout_redirect_uri, matched exactly).")
    backchannel_logout_uri = StringField(
        "Back-channel logout URI", validators=[Length(max=2000)],
        description="Where Tessera posts a logout token when someone signed in to this "
                    "application signs out.")
    backchannel_logout_session_required = BooleanField("Logout tokens must name the session")
    allowed_cors_origins = TextAreaField(
        "Browser origins (one per line)", validators=[Length(max=4000)],
        description="Origins such as https://app.example.com whose scripts may call the API "
                    "with this application's tokens. A public application's redirect URI "
                    "origins are allowed already.")


class ClientForm(ClientSignOutForm):
    """Register an application: its type sets the grants and how it authenticates."""

    app_type = RadioField("Application type", default="web",
                          choices=[SelectChoice(key, spec["label"])
                                   for key, spec in APP_TYPES.items()])
    client_name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    redirect_uris = TextAreaField("Redirect URIs (one per line)", validators=[Length(max=4000)])
    scope = MultiCheckboxField("Scopes")
    grant_types = MultiCheckboxField("Grants (leave empty for the type's defaults)",
                                     choices=GRANTS)
    require_pkce = require_pkce_field()


class ClientEditForm(ClientSignOutForm):
    client_name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    redirect_uris = TextAreaField("Redirect URIs (one per line)", validators=[Length(max=4000)])
    scope = MultiCheckboxField("Scopes")
    grant_types = MultiCheckboxField("Grants", choices=GRANTS,
                                     validators=[DataRequired("Pick at least one grant.")])
    require_pkce = require_pkce_field()


class UserForm(FlaskForm):
    email = email_field("Email")
    password = new_password_field("Initial password")
    role = SelectField("Role", default="user", validators=[DataRequired()])


class RoleForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=64)])
    description = StringField("Description", validators=[Length(max=500)])
    permissions = MultiCheckboxField("Permissions")


class SettingsForm(FlaskForm):
    name = StringField("Organisation name", validators=[DataRequired(), Length(max=200)])
    access_token_lifetime = IntegerField("Access tokens last",
                                         validators=[DataRequired(), NumberRange(1, 100_000)])
    access_token_unit = SelectField("Unit", choices=UNITS, default="60")
    refresh_token_lifetime = IntegerField("Refresh tokens last",
                                          validators=[DataRequired(), NumberRange(1, 100_000)])
    refresh_token_unit = SelectField("Unit", choices=UNITS, default="86400")
    self_signup_enabled = BooleanField("People may create their own account")
    require_verified_email = BooleanField("People must verify their email address before "
                                          "they sign in")
    password_min_length = IntegerField("Passwords have at least",
                                       validators=[DataRequired(), NumberRange(8, 64)])
    mfa_policy = SelectField("Second factor (authenticator app)", choices=MFA_POLICIES)
    passkey_sign_in = BooleanField("People may sign in with a passkey alone")
    display_name = StringField("Name shown to your users", validators=[Length(max=100)])
    logo_uri = https_field("Logo URL")
    primary_color = StringField("Primary colour", validators=[Optional(), Regexp(
        r"^#[0-9a-fA-F]{6}$", message="Use a colour like #2f5bd3.")])
    dynamic_client_registration = SelectField("Dynamic client registration", choices=DCR_MODES)
    registration_grant_types = MultiCheckboxField("Grants a registered client may use",
                                                  choices=REGISTRABLE_GRANTS)
    registration_scope = StringField("Scopes a registered client may have (space-separated)",
                                     validators=[Length(max=2000)])

    def seconds(self, name: str) -> int:
        return getattr(self, name).data * int(getattr(self, name.replace("lifetime", "unit")).data)


class TotpConfirmForm(FlaskForm):
    code = StringField("Code from your authenticator app",
                       validators=[DataRequired(), Length(max=64)])


class ResourceForm(FlaskForm):
    identifier = StringField("Identifier (URI)", validators=[DataRequired(), Length(max=2000)])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    scope = StringField("Scopes it accepts (space-separated)", validators=[Length(max=2000)])


class InitialAccessTokenForm(FlaskForm):
    description = StringField("Description", validators=[Length(max=200)])
    multi_use = BooleanField("Any number of registrations until it expires")
    expires_in = IntegerField("Valid for", default=1,
                              validators=[DataRequired(), NumberRange(1, 100_000)])
    expires_unit = SelectField("Unit", choices=UNITS, default="86400")

    def seconds(self) -> int:
        return self.expires_in.data * int(self.expires_unit.data)


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password",
                                     validators=[DataRequired(), Length(max=256)])
    password = new_password_field("New password")
    confirm = PasswordField("New password again", validators=[
        DataRequired(), EqualTo("password", message="The two new passwords differ.")])


class ProfileForm(FlaskForm):
    name = StringField("Full name", validators=[Optional(), Length(max=200)])
    given_name = StringField("Given name", validators=[Optional(), Length(max=100)])
    family_name = StringField("Family name", validators=[Optional(), Length(max=100)])


class EmailChangeForm(FlaskForm):
    email = email_field("New email address")
    #: Its own id: the password form on the same page has a current_password too.
    current_password = PasswordField("Current password", id="email-current-password",
                                     validators=[DataRequired(), Length(max=256)])


class SignUpForm(FlaskForm):
    name = StringField(_l("Organisation name"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(_l("Address"), validators=[DataRequired(), Regexp(
        r"^[a-z0-9-]{2,63}$", message=_l("Use 2 to 63 lowercase letters, digits or hyphens."))])
    owner_email = email_field(_l("Your email"))
    #: A new organisation starts with the API's default minimum length; its owner may
    #: change it in the settings.
    owner_password = PasswordField(_l("Password"), validators=[DataRequired(), Length(
        min=12, max=256, message=_l("Use 12 to 256 characters."))])
