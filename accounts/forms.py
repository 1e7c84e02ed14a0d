"""Forms of the accounts app."""

from __future__ import annotations

from allauth.socialaccount.forms import SignupForm
from django import forms

from accounts.models import User


class EsiaSignupForm(SignupForm):
    """The first-sign-in form: the e-mail address for the new portal account."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        email = self.fields["email"]
        email.label = "Адрес электронной почты"
        email.help_text = (
            "На этот адрес портал будет присылать уведомления. "
            "Адрес должен быть вашим и не использоваться в другой учётной записи."
        )
        email.widget.attrs.pop("placeholder", None)

    def clean_email(self) -> str:
        value = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=value).exists():
            raise forms.ValidationError(
                "Адрес %(email)s уже указан в другой учётной записи портала. "
                "Укажите другой адрес или обратитесь в школу, если это ваш адрес.",
                code="email_taken",
                params={"email": value},
            )
        return str(super().clean_email())
