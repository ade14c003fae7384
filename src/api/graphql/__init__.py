"""The GraphQL API (strawberry): context, types, queries, mutations, subscriptions, schema.

Resolvers authenticate through :mod:`api.auth`, call the use cases of
:mod:`api.services`, and translate their results into the typed unions of
:mod:`api.graphql.errors`; read-only batched lookups live in :mod:`api.graphql.loaders`.
"""
