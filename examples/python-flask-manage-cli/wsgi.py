"""The module a WSGI server imports."""

from notes import create_app

app = create_app()
