"""tests/smtp.py: Django's e-mail backend delivers to the real SMTP server."""

from django.core.mail import send_mail


def test_mail_reaches_the_smtp_server_and_is_parsed(smtp_server):
    send_mail("Bonjour مرحبا", "Corps du message — نص", "no-reply@example.ma", ["a@example.ma"])
    [message] = smtp_server.messages
    assert message["Subject"] == "Bonjour مرحبا"
    assert message["To"] == "a@example.ma"
    assert "نص" in smtp_server.text_of(message)
    smtp_server.clear()
    assert smtp_server.messages == []
