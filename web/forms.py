"""The web forms: fields, labels and the checks a browser can be told about. Rules live in the services."""

from __future__ import annotations

from collections.abc import Mapping

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional

from vrm.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from web.clock import viewer_zone

PASSWORD_HINT = f"At least {MIN_LENGTH} characters. A few unrelated words make a strong one."
RATINGS = [(1, "1: very poor"), (2, "2: poor"), (3, "3: fair"), (4, "4: good"), (5, "5: excellent")]
PASSWORD_LENGTH = f"Use at least {MIN_LENGTH} characters (and at most {MAX_LENGTH})."


class SignUpForm(FlaskForm):  # type: ignore[misc]
    # Filled in by static/time-zone.js with the browser's zone; the vault keeps it only if it knows it.
    time_zone = HiddenField()
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


class AuditorSignInForm(FlaskForm):  # type: ignore[misc]
    token = PasswordField(
        "Auditor token", validators=[DataRequired("Enter the token you were given."), Length(max=200)]
    )


class NewPasswordForm(FlaskForm):  # type: ignore[misc]
    """A new password, typed twice: for a reset link, and (with the current one) for a change."""

    new_password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(MIN_LENGTH, MAX_LENGTH, PASSWORD_LENGTH)],
        description=PASSWORD_HINT,
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", "The two passwords differ.")],
    )


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])


class ConfirmForm(FlaskForm):  # type: ignore[misc]
    """A form with nothing but its CSRF token: for buttons that change something (sign out, end session)."""


def error_items(form: Form) -> list[tuple[str, str, str]]:
    """Every field error of a form, nested lists included, as (field id, label, message) for a summary."""
    items: list[tuple[str, str, str]] = []
    for field in form:
        if isinstance(field, FieldList):
            for entry in field.entries:
                items += error_items(entry.form)
        elif field.errors and field.name != "csrf_token" and not isinstance(field.errors, dict):
            items.append((field.id, field.label.text, " ".join(field.errors)))
    return items


def show_errors(form: FlaskForm, errors: dict[str, str], names: Mapping[str, str] | None = None) -> None:
    """Attach a service's field errors to the form fields of the same name, or of the name `names` gives
    it (others to the whole form)."""
    for service_name, message in errors.items():
        name = (names or {}).get(service_name, service_name)
        field = form._fields.get(name)
        if field is not None:
            field.errors = [*field.errors, message[0].upper() + message[1:] + "."]
        else:
            form.form_errors.append(f"{name}: {message}")


class TimelineFilterForm(FlaskForm):  # type: ignore[misc]
    """The timeline's filters: a GET form (it changes nothing), so it carries no CSRF token."""

    class Meta:
        csrf = False

    business = SelectField("Company", choices=[], validate_choice=False)
    channel = SelectField("Channel", choices=[], validate_choice=False)
    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])


class FeedbackForm(FlaskForm):  # type: ignore[misc]
    rating = RadioField(
        "Your rating",
        choices=[SelectChoice(str(n), label) for n, label in RATINGS],
        validators=[InputRequired("Choose a rating from 1 to 5.")],
    )
    comment = TextAreaField("Comment (optional)", validators=[Length(max=2000)])


class NoteForm(FlaskForm):  # type: ignore[misc]
    note = TextAreaField(
        "Your note", validators=[Length(max=5000)], description="Only you can see your notes."
    )


class JourneyChoiceForm(FlaskForm):  # type: ignore[misc]
    """Put an interaction into a journey with its company: an existing one (its id), a new one, or none."""

    journey = StringField("Journey", validators=[InputRequired("Choose a journey, or start a new one.")])
    title = StringField("Title of the new journey", validators=[Length(max=200)])


class JourneyTitleForm(FlaskForm):  # type: ignore[misc]
    title = StringField(
        "Title",
        validators=[Length(max=200)],
        description="Leave it blank for no title.",  # the view adds who can see it
    )


DIRECTIONS = [SelectChoice("inbound", "I contacted them"), SelectChoice("outbound", "They contacted me")]


class OwnInteractionForm(FlaskForm):  # type: ignore[misc]
    """An interaction the customer records themselves; the company and journey are chosen by the view."""

    business = SelectField(
        "Company", choices=[], validate_choice=False, validators=[InputRequired("Choose the company.")]
    )
    channel = SelectField(
        "Channel", choices=[], validate_choice=False, validators=[InputRequired("Choose the channel.")]
    )
    direction = RadioField(
        "Who got in touch?", choices=DIRECTIONS, validators=[InputRequired("Say who got in touch.")]
    )
    occurred_at = DateTimeLocalField(
        "When",
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        tz=viewer_zone,
        validators=[InputRequired("Say when it happened.")],
        invalid_value_message="Enter the day and time it happened.",
    )
    subject = StringField(
        "What it was about",
        validators=[DataRequired("Say what it was about."), Length(max=200)],
        description="A few words, such as “Bill too high”.",
    )
    summary = TextAreaField("What happened", validators=[Length(max=10_000)])
    outcome = TextAreaField("Outcome (optional)", validators=[Length(max=2000)])
    journey = SelectField("Journey (optional)", choices=[], validate_choice=False)
    shared = BooleanField("Share it with the company")


class EmailEntry(Form):  # type: ignore[misc]
    address = EmailField("Email address")
    label = StringField("Label", description="For example home or work")


class PhoneEntry(Form):  # type: ignore[misc]
    number = TelField("Phone number", description="With the country code, e.g. +44 20 7946 0958")
    label = StringField("Label")


class AddressEntry(Form):  # type: ignore[misc]
    lines = TextAreaField("Street address", description="One line per row")
    locality = StringField("Town or city")
    region = StringField("Region")
    postal_code = StringField("Postal code")
    country = StringField("Country code", description="Two letters, e.g. GB")
    label = StringField("Label")


MAX_ROWS = 21  # the vault keeps at most 20 of each, plus the free row for adding one


class ProfileForm(FlaskForm):  # type: ignore[misc]
    """The profile as a form; the rules (valid email, phone, dates...) are checked by the vault service."""

    given_name = StringField("Given name")
    family_name = StringField("Family name")
    display_name = StringField("Name to show")
    emails = FieldList(FormField(EmailEntry), min_entries=1, max_entries=MAX_ROWS)
    primary_email = IntegerField("Primary email", validators=[Optional()])
    phones = FieldList(FormField(PhoneEntry), min_entries=1, max_entries=MAX_ROWS)
    primary_phone = IntegerField("Primary phone", validators=[Optional()])
    addresses = FieldList(FormField(AddressEntry), min_entries=1, max_entries=MAX_ROWS)
    primary_address = IntegerField("Primary address", validators=[Optional()])
    # The choices are the pickers' lists (web.choices), set by the view with the stored value kept among them.
    language = SelectField(
        "Preferred language",
        choices=[],
        validate_choice=False,
        description="The language companies should use with you. Those that may read your contact "
        "preferences see it too.",
    )
    locale = SelectField(
        "Region format",
        choices=[],
        validate_choice=False,
        description="How dates, times and numbers are written for you, e.g. 31/12/2026 or 12/31/2026.",
    )
    time_zone = SelectField(
        "Time zone",
        choices=[],
        validate_choice=False,
        description="Every time on these pages is shown in it.",
    )
    birth_date = DateField("Date of birth", validators=[Optional()])


class DeleteAccountForm(FlaskForm):  # type: ignore[misc]
    password = PasswordField(
        "Your password",
        validators=[DataRequired("Enter your password to confirm.")],
        description="We ask again because this cannot be undone.",
    )
    # Asked for (and checked) only when two-step sign-in is on.
    code = StringField(
        "Code from your authenticator app",
        validators=[Optional(), Length(max=40)],
        description="Or one of your recovery codes.",
    )


class ResetRequestForm(FlaskForm):  # type: ignore[misc]
    email = EmailField("Email", validators=[DataRequired("Enter your email address."), Length(max=254)])


ResetPasswordForm = NewPasswordForm


class SignInCodeForm(FlaskForm):  # type: ignore[misc]
    code = StringField(
        "Code",
        validators=[DataRequired("Enter the code from your app."), Length(max=40)],
        description="The 6 digits your authenticator app shows now, or one of your recovery codes.",
    )


class EnrolmentCodeForm(FlaskForm):  # type: ignore[misc]
    code = StringField(
        "Code from the app",
        validators=[DataRequired("Enter the 6-digit code your app shows."), Length(max=40)],
        description="After scanning, your app shows a 6-digit code that changes every 30 seconds.",
    )


class PasswordCheckForm(FlaskForm):  # type: ignore[misc]
    """The customer's password again, before a change to how they sign in."""

    password = PasswordField("Your password", validators=[DataRequired("Enter your password to confirm.")])


class ConnectionForm(FlaskForm):  # type: ignore[misc]
    """A change to one connection; the ticked scopes come as repeated `scope` fields."""

    until = DateField("Until", validators=[Optional()], description="The last day it may see your data.")


class BusinessSignUpForm(FlaskForm):  # type: ignore[misc]
    name = StringField(
        "Handle",
        validators=[DataRequired("Choose a handle."), Length(max=64)],
        description="Lower-case letters, digits and dashes, e.g. northwind-energy. Customers never type it.",
    )
    display_name = StringField(
        "Business name", validators=[DataRequired("Enter the name customers know."), Length(max=200)]
    )
    website = StringField("Website", validators=[Optional(), Length(max=500)], description="https://…")
    email = EmailField("Email", validators=[DataRequired("Enter your work email address."), Length(max=254)])
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(MIN_LENGTH, MAX_LENGTH, PASSWORD_LENGTH)],
        description=PASSWORD_HINT,
    )


class NewClientForm(FlaskForm):  # type: ignore[misc]
    name = StringField(
        "Application name",
        validators=[DataRequired("Name the application."), Length(max=200)],
        description="Customers see it on the consent screen.",
    )
    redirect_uris = TextAreaField(
        "Redirect URIs",
        validators=[DataRequired("Give at least one redirect URI.")],
        description="One per line, matched exactly. https only (http for 127.0.0.1 or localhost).",
    )
    purpose = SelectField("Purpose", choices=[])


class WebhookForm(FlaskForm):  # type: ignore[misc]
    url = StringField(
        "Webhook URL", validators=[DataRequired("Enter the URL."), Length(max=500)], description="https://…"
    )
