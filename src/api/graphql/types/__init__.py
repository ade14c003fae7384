"""GraphQL object types; each has ``from_domain`` building it from a service view."""
