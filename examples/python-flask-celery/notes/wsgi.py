"""The WSGI entry point gunicorn serves."""

from notes import create_app

app = create_app()
