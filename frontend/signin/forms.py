"""Sign-in, consent and account-recovery forms (Flask-WTF: every form carries a CSRF token)."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional


class LoginForm(FlaskForm):
    challenge = HiddenField(validators=[DataRequired()])
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


class ConsentForm(FlaskForm):
    challenge = HiddenField(validators=[DataRequired()])
    remember = BooleanField("Remember this decision")


class SignUpForm(FlaskForm):
    challenge = HiddenField(validators=[Optional()])
    name = StringField("Your name", validators=[Optional(), Length(max=200)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


class ForgotPasswordForm(FlaskForm):
    challenge = HiddenField(validators=[Optional()])
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])


class ResetPasswordForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Length(max=128)])
    password = PasswordField("New password", validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField("Repeat the new password", validators=[
        DataRequired(), EqualTo("password", message="The two passwords differ.")])


class ConfirmLinkForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Length(max=128)])
