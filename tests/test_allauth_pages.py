"""django-allauth's own pages use the portal's layout and Russian text."""

from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.urls import reverse


def test_email_confirmation_page_in_portal_layout(client, world):
    address = EmailAddress.objects.create(
        user=world.guardian_user,
        email=world.guardian_user.email,
        verified=False,
        primary=True,
    )
    key = EmailConfirmationHMAC(address).key

    page = client.get(reverse("account_confirm_email", args=[key]))
    html = page.content.decode()

    assert page.status_code == 200
    assert 'class="site-header"' in html
    assert "Электронная школа" in html
    assert "Menu:" not in html
    assert "Меню:" not in html
