"""Who is calling: portal logins, session tokens, API tokens, one ``authenticate``.

Credentials arrive as ``Authorization: Bearer <token>`` on HTTP, or as the
``authorization`` (or ``token``) key of the graphql-transport-ws ``connection_init``
payload. Portal session tokens start with :data:`~api.auth.tokens.SESSION_PREFIX`; every
other token is an operator or reseller API token, verified by the token service.
"""
