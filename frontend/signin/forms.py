"""Sign-in, consent, account-recovery and sign-out forms (Flask-WTF: every form carries a
CSRF token)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional


class LoginForm(FlaskForm):
    challenge = HiddenField(validators=[DataRequired()])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=320)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


class SecondFactorForm(FlaskForm):
    """A code from the authenticator app, or (``recovery_code``) a recovery code."""

    challenge = HiddenField(validators=[DataRequired()])
    code = StringField(_l("Code from your authenticator app"),
                       validators=[Optional(), Length(max=64)])
    recovery_code = StringField(_l("Recovery code"), validators=[Optional(), Length(max=64)])


class EnrolmentForm(FlaskForm):
    challenge = HiddenField(validators=[DataRequired()])
    code = StringField(_l("Code from your authenticator app"),
                       validators=[DataRequired(), Length(max=64)])


class ConsentForm(FlaskForm):
    challenge = HiddenField(validators=[DataRequired()])
    remember = BooleanField(_l("Remember this decision"))


class SignUpForm(FlaskForm):
    challenge = HiddenField(validators=[Optional()])
    name = StringField(_l("Your name"), validators=[Optional(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=320)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


class ForgotPasswordForm(FlaskForm):
    challenge = HiddenField(validators=[Optional()])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=320)])


class ResetPasswordForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Length(max=128)])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords differ."))])


class ConfirmLinkForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Length(max=128)])


class LogoutForm(FlaskForm):
    request = HiddenField(validators=[DataRequired(), Length(max=2000)])
