"""Subjects and weekly hours by grade, after the federal basic curricula.

The hours follow the federal model curricula for a five-day week: ФОП НОО
(grades 1–4), ФОП ООО (grades 5–9) and the universal profile of ФОП СОО
(grades 10–11). Every grade stays within the maximum weekly load that the
sanitary rules allow.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SubjectSpec:
    name: str
    short_name: str
    # Subjects taught by one teacher in a class share a discipline, so a
    # class gets the same mathematics teacher for algebra and geometry.
    discipline: str
    pass_fail: bool = False


SUBJECTS: list[SubjectSpec] = [
    SubjectSpec("Русский язык", "Рус. яз.", "russian"),
    SubjectSpec("Литературное чтение", "Лит. чт.", "russian"),
    SubjectSpec("Литература", "Лит-ра", "russian"),
    SubjectSpec("Иностранный язык (английский)", "Англ. яз.", "english"),
    SubjectSpec("Математика", "Матем.", "math"),
    SubjectSpec("Алгебра", "Алгебра", "math"),
    SubjectSpec("Алгебра и начала математического анализа", "Алгебра", "math"),
    SubjectSpec("Геометрия", "Геом.", "math"),
    SubjectSpec("Вероятность и статистика", "Вер. и стат.", "math"),
    SubjectSpec("Информатика", "Информ.", "informatics"),
    SubjectSpec("Окружающий мир", "Окр. мир", "primary"),
    SubjectSpec(
        "Основы религиозных культур и светской этики",
        "ОРКСЭ",
        "history",
        pass_fail=True,
    ),
    SubjectSpec(
        "Основы духовно-нравственной культуры народов России",
        "ОДНКНР",
        "history",
        pass_fail=True,
    ),
    SubjectSpec("История", "История", "history"),
    SubjectSpec("Обществознание", "Общ.", "history"),
    SubjectSpec("География", "Геогр.", "geography"),
    SubjectSpec("Биология", "Биол.", "biology"),
    SubjectSpec("Физика", "Физика", "physics"),
    SubjectSpec("Химия", "Химия", "chemistry"),
    SubjectSpec("Изобразительное искусство", "ИЗО", "art"),
    SubjectSpec("Музыка", "Музыка", "music"),
    SubjectSpec("Труд (технология)", "Труд", "labour"),
    SubjectSpec("Физическая культура", "Физ-ра", "pe"),
    SubjectSpec("Основы безопасности и защиты Родины", "ОБЗР", "safety"),
    SubjectSpec("Индивидуальный проект", "Инд. проект", "russian"),
]

SUBJECTS_BY_NAME: dict[str, SubjectSpec] = {spec.name: spec for spec in SUBJECTS}

RUS = "Русский язык"
LIT_READING = "Литературное чтение"
LIT = "Литература"
ENG = "Иностранный язык (английский)"
MATH = "Математика"
ALG = "Алгебра"
ALG_SENIOR = "Алгебра и начала математического анализа"
GEOM = "Геометрия"
STAT = "Вероятность и статистика"
INF = "Информатика"
WORLD = "Окружающий мир"
ORKSE = "Основы религиозных культур и светской этики"
ODNKNR = "Основы духовно-нравственной культуры народов России"
HIST = "История"
SOC = "Обществознание"
GEO = "География"
BIO = "Биология"
PHYS = "Физика"
CHEM = "Химия"
ART = "Изобразительное искусство"
MUSIC = "Музыка"
LABOUR = "Труд (технология)"
PE = "Физическая культура"
SAFETY = "Основы безопасности и защиты Родины"
PROJECT = "Индивидуальный проект"

_PRIMARY = {RUS: 5, LIT_READING: 4, MATH: 4, WORLD: 2, ART: 1, MUSIC: 1, LABOUR: 1}

# Weekly hours by grade.
HOURS: dict[int, dict[str, int]] = {
    1: {**_PRIMARY, PE: 2},
    2: {**_PRIMARY, ENG: 2, PE: 2},
    3: {**_PRIMARY, ENG: 2, PE: 2},
    4: {**_PRIMARY, LIT_READING: 3, ENG: 2, ORKSE: 1, PE: 2},
    5: {
        RUS: 5, LIT: 3, ENG: 3, MATH: 5, HIST: 2, GEO: 1, BIO: 1,
        ART: 1, MUSIC: 1, LABOUR: 2, PE: 2, ODNKNR: 1,
    },
    6: {
        RUS: 6, LIT: 3, ENG: 3, MATH: 5, HIST: 2, SOC: 1, GEO: 1, BIO: 1,
        ART: 1, MUSIC: 1, LABOUR: 2, PE: 2, ODNKNR: 1,
    },
    7: {
        RUS: 4, LIT: 2, ENG: 3, ALG: 3, GEOM: 2, STAT: 1, INF: 1, HIST: 2,
        SOC: 1, GEO: 2, BIO: 1, PHYS: 2, ART: 1, MUSIC: 1, LABOUR: 2, PE: 2,
    },
    8: {
        RUS: 3, LIT: 2, ENG: 3, ALG: 3, GEOM: 2, STAT: 1, INF: 1, HIST: 2,
        SOC: 1, GEO: 2, BIO: 2, PHYS: 2, CHEM: 2, MUSIC: 1, LABOUR: 1,
        SAFETY: 1, PE: 2,
    },
    9: {
        RUS: 3, LIT: 3, ENG: 3, ALG: 3, GEOM: 2, STAT: 1, INF: 1, HIST: 2,
        SOC: 1, GEO: 2, BIO: 2, PHYS: 3, CHEM: 2, LABOUR: 1, SAFETY: 1, PE: 2,
    },
    10: {
        RUS: 2, LIT: 3, ENG: 3, ALG_SENIOR: 4, GEOM: 3, STAT: 1, INF: 1,
        HIST: 2, SOC: 2, GEO: 1, BIO: 1, PHYS: 2, CHEM: 1, PE: 2, SAFETY: 1,
        PROJECT: 1,
    },
    11: {
        RUS: 2, LIT: 3, ENG: 3, ALG_SENIOR: 4, GEOM: 3, STAT: 1, INF: 1,
        HIST: 2, SOC: 2, GEO: 1, BIO: 1, PHYS: 2, CHEM: 1, PE: 2, SAFETY: 1,
        PROJECT: 1,
    },
}  # fmt: skip

# Maximum weekly load on a five-day week (СанПиН 1.2.3685-21).
WEEKLY_CAP: dict[int, int] = {
    1: 21, 2: 23, 3: 23, 4: 23, 5: 29, 6: 30, 7: 32, 8: 33, 9: 33, 10: 34, 11: 34,
}  # fmt: skip


def split_subjects(grade: int) -> set[str]:
    """Return the subjects that a class of ``grade`` learns in two subgroups."""
    subjects = set()
    if grade >= 2:
        subjects.add(ENG)
    if grade >= 7:
        subjects.add(INF)
    if 5 <= grade <= 9:
        subjects.add(LABOUR)
    return subjects


# Subgroup names per split subject. English and computing split a class
# by the alphabetical list, labour lessons by gender.
SUBGROUP_NAMES: dict[str, tuple[str, str]] = {
    ENG: ("Английский, 1 группа", "Английский, 2 группа"),
    INF: ("Информатика, 1 группа", "Информатика, 2 группа"),
    LABOUR: ("Труд, 1 группа", "Труд, 2 группа"),
}

# The exams of the state final certification: ОГЭ in grade 9 and ЕГЭ in
# grade 11. Two compulsory subjects, two electives drawn per pupil.
EXAM_COMPULSORY: dict[int, list[str]] = {9: [RUS, ALG], 11: [RUS, ALG_SENIOR]}
EXAM_ELECTIVES: dict[int, list[str]] = {
    9: [SOC, GEO, BIO, INF, PHYS, CHEM, ENG, HIST, LIT],
    11: [SOC, PHYS, BIO, CHEM, INF, HIST, ENG, LIT],
}
