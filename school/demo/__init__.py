"""The demo school that ``manage.py seed_demo`` builds.

Data banks: ``names``, ``curriculum``, ``topics``. Generation steps, in the
order ``build.build_demo`` runs them: ``calendar``, ``staff``, ``pupils``
(classes, pupils, families, enrollments, subgroups), ``timetable``,
``applications`` (applications, consent, the transfer), ``lessons`` (lessons,
marks, attendance), ``final_marks`` and ``esia_people``.
"""
