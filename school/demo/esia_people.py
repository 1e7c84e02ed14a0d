"""The ESIA emulator's people file: a curated list of demo people to sign in as.

Each record has the fields that the emulator returns from ``/rs/prns`` and
the token claims, plus a Russian label that states who the person is and what
the portal should do when they sign in.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from school import models
from school.demo import names
from school.demo.applications import SpecialCases
from school.demo.context import (
    DemoContext,
    Family,
    Pupil,
    birth_date_of,
    student_of,
)
from school.snils import format_snils, make_snils

FIRST_OID = 1_000_300_001
# SNILS numbers of people the school does not know; far from the demo range.
UNKNOWN_SNILS_START = 170_000_001

_LATIN = [
    "a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o",
    "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e",
    "yu", "ya",
]  # fmt: skip
_TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", _LATIN, strict=True))

RELATION_WORDS = {"mother": "мама", "father": "папа", "guardian": "опекун"}


def _translit(text: str) -> str:
    return "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())


def _age(birth: datetime.date, today: datetime.date) -> int:
    return (
        today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    )


@dataclass
class _Writer:
    ctx: DemoContext
    people: list[dict[str, Any]] = field(default_factory=list)
    oids: dict[tuple[str, int], str] = field(default_factory=dict)
    sign_in: list[str] = field(default_factory=list)
    headline: set[str] = field(default_factory=set)

    def _next_oid(self) -> str:
        return str(FIRST_OID + len(self.people))

    def add(
        self,
        person: models.Student | models.Guardian | models.StaffMember,
        role: str,
        gender: str,
        label: str,
        *,
        level: str = "PR",
        trusted: bool = True,
        # "same" takes the record's SNILS; a string or None overrides it.
        snils: str | None = "same",
        kids: list[str] | None = None,
        # True: a verified e-mail, False: an unverified one, None: no e-mail.
        email: bool | None = True,
        headline: bool = False,
    ) -> str:
        key = (type(person).__name__, person.pk)
        if key in self.oids and snils == "same":
            return self.oids[key]
        oid = self._next_oid()
        index = len(self.people) + 1
        number = snils if snils != "same" else person.snils
        birth = birth_date_of(person)
        login = f"{_translit(person.last_name)}.{_translit(person.first_name)}{index}"
        mail = f"{login}@example.com"

        self.people.append(
            {
                "oid": oid,
                "snils": format_snils(number) if number else None,
                "last_name": person.last_name,
                "first_name": person.first_name,
                "middle_name": person.middle_name,
                "birth_date": birth.strftime("%d.%m.%Y"),
                "gender": gender,
                "trusted": trusted,
                "level": level,
                "email": mail if email is not None else None,
                "email_verified": bool(email),
                "mobile": f"+7(900){index:07d}" if level != "KD" else None,
                "role": role,
                "label": label,
                "kids": kids or [],
            }
        )
        if snils == "same":
            self.oids[key] = oid
        if headline:
            self.headline.add(oid)
            self.sign_in.append(f"{oid}  {label}")
        return oid


def _class_label(pupil: Pupil, ctx: DemoContext) -> str:
    if pupil.current_class is not None:
        return pupil.current_class.name
    if pupil.previous_class is None:
        raise ValueError("a pupil without a class in either year")
    return f"{pupil.previous_class.name} в {ctx.previous.year.name}"


def _child_phrase(pupil: Pupil, ctx: DemoContext) -> str:
    record = student_of(pupil)
    bank = names.BOY_NAMES if pupil.gender == "M" else names.GIRL_NAMES
    first = dict(bank).get(record.first_name, record.first_name)
    last = names.surname_genitive(record.last_name, pupil.gender)
    return f"{first} {last} ({_class_label(pupil, ctx)})"


def _student_entry(
    writer: _Writer, pupil: Pupil, note: str, headline: bool = False
) -> str:
    ctx = writer.ctx
    record = student_of(pupil)
    adult = _age(birth_date_of(record), ctx.today) >= 14
    level = "PR" if adult else "KD"
    role_word = "ученик" if pupil.gender == "M" else "ученица"
    if pupil.current_class is None:
        role_word = "выпускник" if pupil.gender == "M" else "выпускница"
    label = f"{record.full_name} — {role_word} {_class_label(pupil, ctx)}"
    label += ", 14 лет и старше" if adult else ", младше 14 лет, детская учётная запись"
    return writer.add(
        record,
        "student",
        pupil.gender,
        f"{label}; {note}",
        level=level,
        trusted=adult,
        email=True if adult else None,
        headline=headline,
    )


def _guardian_entry(
    writer: _Writer,
    family: Family,
    guardian_index: int,
    note: str,
    headline: bool = True,
    **options: Any,
) -> str:
    ctx = writer.ctx
    guardian, relation = family.guardians[guardian_index]
    kids = [
        _student_entry(writer, child, "вход ребёнка в дневник")
        for child in family.children
    ]
    phrases = [_child_phrase(child, ctx) for child in family.children]
    children = phrases[0]
    if len(phrases) > 1:
        children = ", ".join(phrases[:-1]) + " и " + phrases[-1]
    label = f"{guardian.full_name} — {RELATION_WORDS[relation]} {children}; {note}"
    gender = "M" if relation == "father" else "F"
    return writer.add(
        guardian, "guardian", gender, label, kids=kids, headline=headline, **options
    )


def build_people(ctx: DemoContext, cases: SpecialCases) -> _Writer:
    """Collect the curated people; see the module docstring."""
    writer = _Writer(ctx)
    families = ctx.families
    filed = [f for f in families if f.diary == "filed" and f.all_consent]
    teacher_guardian = ctx.teacher_parent[1] if ctx.teacher_parent else None

    def plain(f: Family) -> bool:
        return all(g is not teacher_guardian for g, _ in f.guardians)

    one_child = next(
        f
        for f in filed
        if plain(f)
        and len(f.children) == 1
        and f.children[0].cohort_grade == 5
        and f.guardians[0][1] == "mother"
    )
    _guardian_entry(writer, one_child, 0, "дневник открыт: заявление и согласие есть")
    two = next(
        f
        for f in filed
        if plain(f)
        and len(f.children) == 2
        and all(ch.current_class for ch in f.children)
    )
    _guardian_entry(writer, two, 0, "двое детей в разных классах, дневник открыт")
    three = [f for f in filed if plain(f) and len(f.children) == 3]
    if three:
        _guardian_entry(writer, three[0], 0, "трое детей, дневник открыт")
    both = next(
        f
        for f in filed
        if plain(f)
        and [r for _, r in f.guardians] == ["mother", "father"]
        and f is not one_child
    )
    _guardian_entry(writer, both, 1, "второй родитель, согласие дал, дневник открыт")
    if cases.mother_only_consent:
        _guardian_entry(
            writer,
            cases.mother_only_consent[0],
            1,
            "согласие на обработку данных не давал (дала только мама): дневник закрыт",
        )
    for family in cases.refused[:2]:
        _guardian_entry(
            writer,
            family,
            0,
            "отказ от электронного дневника: портал объясняет, что школа "
            "информирует на бумаге",
        )
    if cases.stopped is not None:
        _guardian_entry(
            writer,
            cases.stopped,
            0,
            f"дневник прекращён по заявлению с {cases.stopped_on:%d.%m.%Y}",
        )
    if cases.transferred is not None and cases.transferred.family is not None:
        _guardian_entry(
            writer,
            cases.transferred.family,
            0,
            f"ребёнок переведён в другую школу "
            f"{cases.transferred.transferred_on:%d.%m.%Y}: "
            "дневник закрыт после этой даты",
        )
    if cases.not_filed:
        _guardian_entry(
            writer,
            cases.not_filed[0],
            0,
            "заявление ещё не подано: портал объясняет, как его подать",
        )
    graduates = [
        f
        for f in filed
        if plain(f)
        and all(ch.current_class is None for ch in f.children)
        and any(
            ch.previous_class and ch.previous_class.grade == 11 for ch in f.children
        )
    ]
    if graduates:
        _guardian_entry(
            writer,
            graduates[0],
            0,
            "ребёнок окончил школу в прошлом году: дневник закрыт",
        )

    # Pupils: 14 and older with a confirmed account, younger with a child
    # account or a simplified one.
    def current_pupil(grade: int, under_14: bool = False) -> Pupil:
        return next(
            p
            for p in ctx.pupils
            if p.current_class is not None
            and p.current_class.grade == grade
            and p.family is not None
            and p.family.diary == "filed"
            and p.transferred_on is None
            and (not under_14 or _age(birth_date_of(student_of(p)), ctx.today) < 14)
        )

    _student_entry(writer, current_pupil(9), "дневник открыт", headline=True)
    _student_entry(writer, current_pupil(11), "дневник открыт", headline=True)
    _student_entry(writer, current_pupil(5), "дневник открыт", headline=True)
    simplified = current_pupil(7, under_14=True)
    writer.add(
        student_of(simplified),
        "student",
        simplified.gender,
        f"{student_of(simplified).full_name} — "
        f"{'ученик' if simplified.gender == 'M' else 'ученица'} "
        f"{_class_label(simplified, ctx)}, "
        "младше 14 лет, упрощённая учётная запись: дневник открыт",
        level="P",
        trusted=False,
        headline=True,
    )
    if cases.refused:
        older = [f for f in cases.refused if f.children[0].cohort_grade >= 8]
        if older:
            _student_entry(writer, older[0].children[0], "семья отказалась от дневника")
    if cases.transferred is not None:
        _student_entry(writer, cases.transferred, "переведён в другую школу")

    # Staff.
    by_pk = {t.staff.pk: t for t in ctx.teachers}
    led = {k.class_teacher_id: k for k in ctx.classes if k.class_teacher_id}
    for teacher in ctx.teachers:
        if "primary" in teacher.disciplines and teacher.staff.pk in led:
            writer.add(
                teacher.staff,
                "teacher",
                teacher.gender,
                f"{teacher.staff.full_name} — учитель начальных классов, классный "
                f"руководитель {led[teacher.staff.pk].name}",
                headline=True,
            )
            break
    # Subject teachers of different disciplines, the class teachers first.
    shown_disciplines: set[str] = set()
    ordered = sorted(ctx.teachers, key=lambda t: t.staff.pk not in led)
    for teacher in ordered:
        discipline = teacher.disciplines[0]
        if (
            len(shown_disciplines) >= 4
            or discipline in shown_disciplines
            or discipline == "primary"
        ):
            continue
        staff = teacher.staff
        if staff in (ctx.head_of_studies, ctx.absent_teacher):
            continue
        if teacher_guardian is not None and staff.snils == teacher_guardian.snils:
            continue
        note = staff.position
        if staff.pk in led:
            note += f", классный руководитель {led[staff.pk].name}"
        if discipline == "english":
            note += "; ведёт подгруппы по английскому"
        writer.add(
            staff,
            "teacher",
            teacher.gender,
            f"{staff.full_name} — {note}",
            headline=len(shown_disciplines) < 2,
        )
        shown_disciplines.add(discipline)
    if ctx.absent_teacher is not None and ctx.absent_days:
        absent = ctx.absent_teacher
        first, last = ctx.absent_days[0], ctx.absent_days[-1]
        writer.add(
            absent,
            "teacher",
            by_pk[absent.pk].gender,
            f"{absent.full_name} — учитель математики; болел(а) с {first:%d.%m} по "
            f"{last:%d.%m}: эти уроки вели замещающие учителя или они отменены",
        )
    if ctx.head_of_studies is not None:
        writer.add(
            ctx.head_of_studies,
            "head_of_studies",
            "F",
            f"{ctx.head_of_studies.full_name} — завуч (заместитель директора по УВР), "
            "ведёт математику; правит отметки закрытых периодов",
            headline=True,
        )
    if ctx.school_admin is not None:
        writer.add(
            ctx.school_admin,
            "school_admin",
            "F",
            f"{ctx.school_admin.full_name} — администратор школы: заявления, согласия, "
            "зачисление",
            headline=True,
        )
    if ctx.teacher_parent is not None:
        staff, guardian = ctx.teacher_parent
        family = next(f for f in families if any(g is guardian for g, _ in f.guardians))
        kids = [
            _student_entry(writer, child, "вход ребёнка") for child in family.children
        ]
        writer.add(
            staff,
            "teacher",
            by_pk[staff.pk].gender,
            f"{staff.full_name} — учитель и одновременно мама "
            f"{_child_phrase(family.children[0], ctx)}: один СНИЛС у записи сотрудника "
            "и у записи представителя, видны журнал и дневник",
            kids=kids,
            headline=True,
        )

    _add_unknown_people(writer, one_child, both)
    return writer


def _add_unknown_people(writer: _Writer, one_child: Family, both: Family) -> None:
    """People whose sign-in must fail, each with the reason in the label."""
    ctx = writer.ctx
    stranger = models.Guardian(
        last_name="Посторонняя",
        first_name="Ирина",
        middle_name="Олеговна",
        birth_date=datetime.date(1984, 4, 12),
    )
    writer.add(
        stranger,
        "unknown",
        "F",
        "Посторонняя Ирина Олеговна — подтверждённая учётная запись, но школа не "
        "знает её СНИЛС: вход отклоняется с понятной причиной",
        snils=make_snils(UNKNOWN_SNILS_START),
        headline=True,
    )

    guardian = one_child.guardians[0][0]
    writer.add(
        guardian,
        "unknown",
        "F",
        f"{guardian.full_name} (двойник) — то же ФИО, что у представителя в школе, "
        "но другой СНИЛС: вход отклоняется, по ФИО не сопоставляется",
        snils=make_snils(UNKNOWN_SNILS_START + 1),
    )

    no_snils = models.Guardian(
        last_name="Безснилсов",
        first_name="Андрей",
        middle_name="Петрович",
        birth_date=datetime.date(1979, 11, 3),
    )
    writer.add(
        no_snils,
        "unknown",
        "M",
        "Безснилсов Андрей Петрович — учётная запись без СНИЛС (упрощённая): вход "
        "отклоняется, нужно добавить СНИЛС на Госуслугах",
        snils=None,
        level="P",
        trusted=False,
        email=False,
    )

    teacher_guardian = ctx.teacher_parent[1] if ctx.teacher_parent else None
    unconfirmed = next(
        f
        for f in ctx.families
        if f.diary == "filed"
        and f is not one_child
        and f is not both
        and all(g is not teacher_guardian for g, _ in f.guardians)
        and f.guardians[0][1] == "mother"
        and len(f.children) == 1
        and ("Guardian", f.guardians[0][0].pk) not in writer.oids
    )
    guardian = unconfirmed.guardians[0][0]
    writer.add(
        guardian,
        "guardian",
        "F",
        f"{guardian.full_name} — мама {_child_phrase(unconfirmed.children[0], ctx)}, "
        "учётная запись не подтверждена: вход отклоняется до подтверждения",
        level="P",
        trusted=False,
        email=False,
        headline=True,
    )


def write_people_file(ctx: DemoContext, cases: SpecialCases, path: Path) -> list[str]:
    """Write the people file and return the short sign-in list."""
    writer = build_people(ctx, cases)
    path.parent.mkdir(parents=True, exist_ok=True)
    # People to sign in as come first: the dev server lists a few per role.
    ordered = sorted(writer.people, key=lambda p: p["oid"] not in writer.headline)
    path.write_text(
        json.dumps({"people": ordered}, ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8",
    )
    return writer.sign_in


def read_sign_in_list(path: Path) -> list[str]:
    """Return the labels of the people file, for a caller that prints them."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [f"{p['oid']}  {p['label']}" for p in data["people"]]
