"""``manage.py seed_demo``: build the demo school and the ESIA people file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from school.demo.build import build_demo, delete_demo_school, find_demo_school

DEFAULT_PEOPLE_PATH = Path(settings.BASE_DIR) / "var" / "esia" / "people.json"


class Command(BaseCommand):
    help = (
        "Создаёт демонстрационную школу (текущий и прошлый учебный год) и файл "
        "пользователей эмулятора ЕСИА."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Удалить данные демонстрационной школы и создать их заново.",
        )
        parser.add_argument(
            "--esia-people",
            type=Path,
            default=DEFAULT_PEOPLE_PATH,
            help=f"Путь к файлу пользователей эмулятора ЕСИА (по умолчанию "
            f"{DEFAULT_PEOPLE_PATH}).",
        )

    def handle(self, *args: Any, **options: Any) -> str:
        existing = find_demo_school()
        if existing is not None and not options["reset"]:
            self.stdout.write(
                f"Демонстрационная школа уже есть (id {existing.pk}); ничего не "
                "изменено. Чтобы создать её заново, запустите с --reset."
            )
            if not options["esia_people"].exists():
                self.stdout.write(
                    f"Файла пользователей ЕСИА {options['esia_people']} нет: он "
                    "создаётся вместе со школой, запустите команду с --reset."
                )
            return ""
        if existing is not None:
            delete_demo_school(existing)
            self.stdout.write("Данные демонстрационной школы удалены.")
        result = build_demo(timezone.localdate(), options["esia_people"])
        counts = ", ".join(f"{name}: {value}" for name, value in result.counts.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Демонстрационная школа создана за {result.seconds:.1f} с ({counts})."
            )
        )
        self.stdout.write(f"Файл пользователей ЕСИА: {options['esia_people']}")
        self.stdout.write("Кем войти через эмулятор ЕСИА (OID и кто это):")
        for line in result.sign_in:
            self.stdout.write(f"  {line}")
        return ""
