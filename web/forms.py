"""The web forms: fields, labels and the checks a browser can be told about. Rules live in the services."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from vrm.accounts.passwords import MAX_LENGTH, MIN_LENGTH

PASSWORD_HINT = f"At least {MIN_LENGTH} characters. A few unrelated words make a strong one."
PASSWORD_LENGTH = f"Use at least {MIN_LENGTH} characters (and at most {MAX_LENGTH})."


class SignUpForm(FlaskForm):  # type: ignore[misc]
    email = EmailField("Email", validators=[DataRequired("Enter your email address."), Length(max=254)])
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(MIN_LENGTH, MAX_LENGTH, PASSWORD_LENGTH)],
        description=PASSWORD_HINT,
    )
    confirm = PasswordField(
        "Repeat the password", validators=[DataRequired(), EqualTo("password", "The two passwords differ.")]
    )


class SignInForm(FlaskForm):  # type: ignore[misc]
    email = EmailField("Email", validators=[DataRequired("Enter your email address."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_LENGTH)])


class ChangePasswordForm(FlaskForm):  # type: ignore[misc]
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(MIN_LENGTH, MAX_LENGTH, PASSWORD_LENGTH)],
        description=PASSWORD_HINT,
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", "The two passwords differ.")],
    )


class ConfirmForm(FlaskForm):  # type: ignore[misc]
    """A form with nothing but its CSRF token: for buttons that change something (sign out, end session)."""


def show_errors(form: FlaskForm, errors: dict[str, str]) -> None:
    """Attach a service's field errors to the form fields of the same name (others to the whole form)."""
    for name, message in errors.items():
        field = form._fields.get(name)
        if field is not None:
            field.errors = [*field.errors, message[0].upper() + message[1:] + "."]
        else:
            form.form_errors.append(f"{name}: {message}")
