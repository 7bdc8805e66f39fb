"""The one table, created by migrations/versions/0001_notes.py."""

from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class Note(db.Model):
    """A note; ``words`` stays empty until the worker has counted them."""

    __tablename__ = "notes"
    id = db.Column(db.Integer, primary_key=True)
    text = db.Column(db.Text, nullable=False)
    words = db.Column(db.Integer, nullable=True)

    def to_json(self) -> dict:
        return {"id": self.id, "text": self.text, "words": self.words}
