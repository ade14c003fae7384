"""The use cases of Pulsebill, one module per area; the GraphQL layer and the CLI call these.

Conventions (stable; the API layer relies on them):

- Every use case is ``async def name(ctx: ServicesContext, actor: Actor, ...)``; it opens
  its own unit of work (one database transaction) and returns a frozen view dataclass
  from :mod:`api.services.records` (never an ORM row, never a password or token hash).
- Expected failures are raised as ONE exception hierarchy,
  :class:`api.domain.errors.ServiceError` (``NotFound``, ``PermissionDenied``,
  ``Unauthenticated``, ``InvalidInput``, ``AlreadyExists``, ``Conflict``,
  ``StillAttached``, ``RuleCompileFailed``, ``DeckRejected``, ``InsufficientBalance``),
  each with a stable ``code``. The API layer maps them to union results; anything else
  is a bug. Authorization refusals are *results* (:class:`Authorization`), not errors.
- Tenant isolation is enforced here: the tenant comes only from the actor; another
  tenant's id is ``NotFound`` (indistinguishable from a missing row).
- Money is ``int`` micro-units (10**-6 of the reseller's currency) everywhere.
- Events (BalanceChanged, LowBalance, SuspensionChanged) reach the bus only after the
  transaction committed.

Areas: :mod:`.resellers` (resellers, tokens, authentication), :mod:`.decks`,
:mod:`.dids`, :mod:`.packages`, :mod:`.clients`, :mod:`.sub_accounts`,
:mod:`.client_packages` (attach/detach), :mod:`.payments`, :mod:`.cdrs` (rating),
:mod:`.authorization`, :mod:`.billing`, :mod:`.demo`. Build a context with
:func:`api.services.context.build_context`.
"""
