from django.db import migrations, models

# A class's page shows its class teacher's name, so renaming a staff member
# moves the stamps of the classes they lead as well as of those they teach.
STAFF_CLASSES = (
    "SELECT a.school_class_id FROM %1$s s "
    "JOIN school_teachingassignment a ON a.teacher_id = s.id "
    "UNION SELECT l.school_class_id FROM %1$s s "
    "JOIN journal_lesson l ON l.substitute_teacher_id = s.id "
    "UNION SELECT c.id FROM %1$s s "
    "JOIN school_schoolclass c ON c.class_teacher_id = s.id"
)
OLD_STAFF_CLASSES = (
    "SELECT a.school_class_id FROM %1$s s "
    "JOIN school_teachingassignment a ON a.teacher_id = s.id "
    "UNION SELECT l.school_class_id FROM %1$s s "
    "JOIN journal_lesson l ON l.substitute_teacher_id = s.id"
)
TRANSITIONS = {
    "insert": "REFERENCING NEW TABLE AS new_rows",
    "update": "REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows",
    "delete": "REFERENCING OLD TABLE AS old_rows",
}

# TRUNCATE has no transition tables, so it moves one global stamp that every
# cached value's key includes.
GLOBAL_FUNCTION = """
CREATE FUNCTION diary_bump_global_cache_stamp() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO diary_cachestamp (scope, object_id, value)
    VALUES ('global', 0, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)
    ON CONFLICT (scope, object_id) DO UPDATE SET value =
        GREATEST(diary_cachestamp.value + 1, EXCLUDED.value);
    RETURN NULL;
END;
$$;
"""
TRUNCATED = [
    "journal_lesson",
    "journal_mark",
    "journal_attendance",
    "journal_journalchange",
    "school_schoolclass",
    "school_teachingassignment",
    "school_subgroup",
    "school_subgroupmembership",
    "school_enrollment",
    "school_timetableentry",
    "school_staffmember",
    "school_staffrole",
    "school_school",
    "school_academicyear",
    "school_subject",
    "school_worktype",
    "school_bell",
    "school_holiday",
    "school_period",
    "school_guardian",
    "school_guardianlink",
    "school_student",
    "school_diaryapplication",
    "school_consent",
    "accounts_user",
]


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _staff_triggers(query: str) -> list[str]:
    statements = []
    for event, transition in TRANSITIONS.items():
        statements.append(
            f"DROP TRIGGER IF EXISTS diary_stamp_class_{event} ON school_staffmember"
        )
        statements.append(
            f"CREATE TRIGGER diary_stamp_class_{event} AFTER {event.upper()} "
            f"ON school_staffmember {transition} FOR EACH STATEMENT EXECUTE "
            f"FUNCTION diary_bump_cache_stamps('class', {_quoted(query)})"
        )
    return statements


class Migration(migrations.Migration):
    dependencies = [
        ("diary", "0002_cache_stamps"),
    ]

    operations = [
        migrations.AlterField(
            model_name="cachestamp",
            name="scope",
            field=models.CharField(
                choices=[
                    ("school", "школа"),
                    ("class", "класс"),
                    ("pupil", "ученик"),
                    ("user", "пользователь"),
                    ("global", "все данные"),
                ],
                max_length=6,
                verbose_name="область",
            ),
        ),
        migrations.RunSQL(
            _staff_triggers(STAFF_CLASSES), _staff_triggers(OLD_STAFF_CLASSES)
        ),
        migrations.RunSQL(
            [
                GLOBAL_FUNCTION,
                *(
                    f"CREATE TRIGGER diary_stamp_truncate AFTER TRUNCATE ON {table} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION "
                    "diary_bump_global_cache_stamp()"
                    for table in TRUNCATED
                ),
            ],
            [
                *(
                    f"DROP TRIGGER IF EXISTS diary_stamp_truncate ON {table}"
                    for table in TRUNCATED
                ),
                "DROP FUNCTION diary_bump_global_cache_stamp()",
            ],
        ),
    ]
