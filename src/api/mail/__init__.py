"""E-mail: the transactional outbox (rows written with the event that causes them) and
the SMTP sender that delivers them (``pulsebill serve`` and ``pulsebill send-mail``)."""
