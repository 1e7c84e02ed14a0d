"""A local stand-in for ESIA (Госуслуги) for development and tests.

It serves the real ESIA paths and parameters (authorization ``/aas/oauth2/v2/ac``,
token exchange ``/aas/oauth2/v3/te``, person data ``/rs/prns/...``, logout
``/idp/ext/Logout``) from a data directory, with no Django inside. Run it with
``python -m esia_emulator --host 127.0.0.1 --port 8001 --data-dir var/esia``.
"""
