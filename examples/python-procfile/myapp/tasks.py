"""Background jobs run by the Procfile's worker (``rq worker emails``)."""

import logging
import os
import smtplib
from email.message import EmailMessage

log = logging.getLogger(__name__)


def send_welcome_email(address: str) -> None:
    """Send the welcome note; without SMTP settings, only log it."""
    host = os.environ.get("SMTP_HOST")
    if not host:
        log.info("SMTP_HOST not set; would have welcomed %s", address)
        return
    message = EmailMessage()
    message["From"] = os.environ.get("MAIL_FROM", "hello@waitlist.example")
    message["To"] = address
    message["Subject"] = "You're on the list"
    message.set_content("Thanks for signing up. We'll write when your invite is ready.")
    with smtplib.SMTP(host, int(os.environ.get("SMTP_PORT", "587"))) as smtp:
        smtp.starttls()
        smtp.login(os.environ["SMTP_USER"], os.environ["SMTP_PASSWORD"])
        smtp.send_message(message)
