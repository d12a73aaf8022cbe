"""Sign-in and consent forms (Flask-WTF: every form carries a CSRF token)."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    challenge = HiddenField(validators=[DataRequired()])
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])


class ConsentForm(FlaskForm):
    challenge = HiddenField(validators=[DataRequired()])
    remember = BooleanField("Remember this decision")
