"""HTML pages of the emulator, in Russian like the real sign-in pages."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from esia_emulator.people import ROLES, Person

ROLE_TITLES = {
    "guardian": "Родители и законные представители",
    "student": "Ученики",
    "teacher": "Учителя",
    "head_of_studies": "Заместители директора по УВР",
    "school_admin": "Администраторы школы",
    "unknown": "Для проверки отказов",
}
LEVEL_TITLES = {
    "PR": "подтверждённая",
    "P": "упрощённая или стандартная",
    "KD": "детская",
}

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#eef2f7;color:#0b1f33}
header{background:#0d4cd3;color:#fff;padding:12px 24px;font-weight:600}
main{max-width:760px;margin:24px auto;background:#fff;padding:24px;border-radius:8px}
h1{font-size:1.4em;margin-top:0}
h2{font-size:1.1em;margin-top:1.5em}
.person{display:block;width:100%;text-align:left;margin:6px 0;padding:10px;
border:1px solid #c7d3e6;border-radius:6px;background:#f8fbff;cursor:pointer}
.person small{color:#506176}
.error{background:#fdecec;border:1px solid #e29c9c;padding:10px;border-radius:6px}
.note{color:#506176;font-size:.9em}
"""


def _layout(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='ru'><head><meta charset='utf-8'>"
        f"<title>{escape(title)} — эмулятор ЕСИА</title><style>{_STYLE}</style>"
        "</head><body><header>Госуслуги — эмулятор ЕСИА для разработки</header>"
        f"<main>{body}</main></body></html>"
    )


def _person_button(person: Person) -> str:
    details = [f"уровень: {LEVEL_TITLES.get(person.level, person.level)}"]
    details.append(f"СНИЛС {person.snils}" if person.snils else "без СНИЛС")
    return (
        f"<button class='person' type='submit' name='oid' value='{escape(person.oid)}'>"
        f"{escape(person.label or person.full_name)}<br>"
        f"<small>{escape(', '.join(details))}</small></button>"
    )


def sign_in_page(
    ticket: str, client_id: str, people: Iterable[Person], error: str = ""
) -> str:
    """Render the account choice: a button per person, a SNILS field, Отмена."""
    by_role: dict[str, list[Person]] = {}
    for person in people:
        by_role.setdefault(person.role, []).append(person)
    sections = []
    for role in ROLES:
        members = by_role.get(role, [])
        if members:
            buttons = "".join(_person_button(person) for person in members)
            sections.append(f"<h2>{escape(ROLE_TITLES[role])}</h2>{buttons}")
    if not sections:
        sections.append("<p>Список демо-пользователей пуст.</p>")
    error_block = f"<p class='error' role='alert'>{escape(error)}</p>" if error else ""
    body = (
        "<h1>Вход в информационную систему</h1>"
        f"<p>Система <b>{escape(client_id)}</b> запрашивает вход через Госуслуги."
        " Выберите пользователя или введите СНИЛС.</p>"
        f"{error_block}"
        "<form method='post' action='/aas/oauth2/v2/ac'>"
        f"<input type='hidden' name='ticket' value='{escape(ticket)}'>"
        "<p><label for='snils'>СНИЛС</label> "
        "<input id='snils' name='snils' placeholder='123-456-789 01' "
        "inputmode='numeric' autocomplete='off'> "
        "<button type='submit' name='action' value='snils'>Войти</button></p>"
        f"{''.join(sections)}"
        "<p><button type='submit' name='action' value='cancel'>Отмена</button></p>"
        "</form>"
        "<p class='note'>Это эмулятор для разработки и тестов: пароль не нужен.</p>"
    )
    return _layout("Вход", body)


def error_page(code: str, message: str) -> str:
    body = (
        "<h1>Ошибка запроса на вход</h1>"
        f"<p class='error'>{escape(code)}: {escape(message)}</p>"
        "<p>Вернитесь в информационную систему и начните вход заново.</p>"
    )
    return _layout("Ошибка", body)


def index_page() -> str:
    body = (
        "<h1>Эмулятор ЕСИА</h1><ul>"
        "<li>GET /aas/oauth2/v2/ac — запрос авторизации</li>"
        "<li>POST /aas/oauth2/v3/te — обмен кода на маркеры</li>"
        "<li>GET /rs/prns/{oid}, /rs/prns/{oid}/ctts, /rs/prns/{oid}/kids — данные</li>"
        "<li>GET /idp/ext/Logout — выход</li></ul>"
    )
    return _layout("Эмулятор ЕСИА", body)
