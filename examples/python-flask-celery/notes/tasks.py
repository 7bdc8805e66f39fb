"""Background work, run by `celery -A notes.tasks worker`."""

import os

from celery import Celery

celery = Celery(__name__, broker=os.environ.get("CELERY_BROKER_URL", "redis://localhost:6379/0"))


@celery.task
def count_words(note_id: int) -> int:
    """Count a note's words and store the count."""
    from notes import create_app
    from notes.models import Note, db

    with create_app().app_context():
        note = db.session.get(Note, note_id)
        note.words = len(note.text.split())
        db.session.commit()
        return note.words
