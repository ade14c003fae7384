"""The line-package rule in raw SQL, written once for the readers of the real-time paths
(:mod:`api.store.cdrs.resolve`, :mod:`api.store.authorizations`): a line rates with the
attachment of its client that is not detached and whose package has a published
version: the line's own package when it names one, else the client's most recent
attachment (``max(id)``). The session path's twin is :mod:`api.store.cdrs.lines`.
"""

from __future__ import annotations

from api.store.package_versions import latest_version_sql


def line_attachment_sqlite(line: str = "sa", client: str = "c", reseller: str = "r") -> str:
    """Joins ``cp`` (the attachment), ``p`` and ``pv`` (its package and latest version)
    to a query over the aliases of ``sub_accounts``, ``clients`` and ``resellers``."""
    return f"""LEFT JOIN client_packages cp ON cp.id = (
  SELECT max(x.id) FROM client_packages x
  JOIN packages p ON p.id = x.package_id
  JOIN package_versions v ON {latest_version_sql("p", "v")}
  WHERE x.client_id = {client}.id AND x.reseller_id = {reseller}.id AND x.detached_at IS NULL
    AND ({line}.package_id IS NULL OR x.package_id = {line}.package_id))
LEFT JOIN packages p ON p.id = cp.package_id
LEFT JOIN package_versions pv ON {latest_version_sql("p", "pv")}"""  # noqa: S608 - aliases and fragments from code


def line_attachment_postgres(lock: str = "") -> str:
    """The body of a CTE (id, cycle_start, free_minutes_used, version_id) over a CTE
    ``line`` (client_id, package_id) in tenant ``$1``; ``lock`` e.g. ``FOR UPDATE OF cp``.

    ``reseller_id + 0``: the attachment is found by its client (without statistics the
    planner took the tenant's index, a scan of every attachment of the tenant)."""
    return f"""SELECT cp.id, cp.cycle_start, cp.free_minutes_used, v.id AS version_id
  FROM client_packages cp
  JOIN line ON cp.client_id = line.client_id
  JOIN packages p ON p.id = cp.package_id
  JOIN package_versions v ON {latest_version_sql("p", "v")}
  WHERE cp.reseller_id + 0 = $1 AND cp.detached_at IS NULL
    AND (line.package_id IS NULL OR cp.package_id = line.package_id)
  ORDER BY cp.id DESC LIMIT 1
  {lock}"""  # noqa: S608 - fragments from code, no values
