"""The clients' branded web portal: server-rendered pages over the same services as the
GraphQL API (Jinja2, plain HTML forms, no JavaScript), at ``/p/<reseller code>/`` on the
platform's host or at the root of a reseller's own hostname."""
