"""The header links each user to the sections they may open, by name."""

from django.urls import reverse

from school.tests import factories as f


def test_guardian_sees_diary_only(client, world):
    client.force_login(world.guardian_user)
    header = client.get(reverse("diary:week")).content.decode()
    header = header[header.index("<header") : header.index("</header>")]
    assert reverse("journal:day") not in header
    assert reverse("admin:index") not in header
    assert world.guardian.last_name in header


def test_teacher_who_is_parent_sees_both(client, world):
    f.GuardianLinkFactory.create(
        guardian=f.GuardianFactory.create(user=world.teacher_user),
        student=world.other_child,
    )
    client.force_login(world.teacher_user)
    page = client.get(reverse("journal:day")).content.decode()
    header = page[page.index("<header") : page.index("</header>")]
    assert reverse("diary:week") in header
    assert reverse("admin:index") not in header
    assert world.teacher.last_name in header


def test_school_admin_sees_admin_link(client, world):
    client.force_login(world.school_admin_user)
    page = client.get(reverse("journal:day")).content.decode()
    header = page[page.index("<header") : page.index("</header>")]
    assert reverse("admin:index") in header
    assert reverse("diary:week") not in header
