"""HTTP endpoints for SIP servers (``/switch/authorize``, ``/switch/cdr``,
``/switch/hangup``), opened only by switch tokens. An adapter: it parses requests (JSON
or form), checks the token, calls the services of :mod:`api.services.switch` and renders
their answers as JSON or ``key=value`` text; it holds no business rule."""

from api.switch.routes import switch_mount

__all__ = ["switch_mount"]
