"""PayPal IPN adapter: the endpoint that stores messages as received, the postback client
that has PayPal verify them verbatim, and the worker that retries until it could."""
