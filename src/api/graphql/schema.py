"""The schema: Query, Mutation, Subscription, the scalars and the hardening extensions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from api.graphql import hardening
from api.graphql import subscriptions as subs
from api.graphql.errors import any_unavailable, log_unexpected, mark_bad_input
from api.graphql.executor import PlainFieldExecutor
from api.graphql.mutations import billing as billing_m
from api.graphql.mutations import branding as branding_m
from api.graphql.mutations import calls as calls_m
from api.graphql.mutations import did_ops, portal_admin, reseller_settings, sub_accounts
from api.graphql.mutations import login as login_m
from api.graphql.mutations import operator_ops as op
from api.graphql.mutations import password_reset as reset_m
from api.graphql.mutations import paypal as paypal_m
from api.graphql.mutations import portal_access as access_m
from api.graphql.mutations import reseller_ops as rs
from api.graphql.queries import calls as calls_q
from api.graphql.queries import paypal as paypal_q
from api.graphql.queries import portal as portal_q
from api.graphql.queries import reports, viewer
from api.graphql.queries import root_fields as q
from api.graphql.scalars import DATE_SCALAR, DATETIME_SCALAR, DECIMAL_SCALAR


@strawberry.type
class Query:
    me = strawberry.field(resolver=viewer.me)
    my_client = strawberry.field(resolver=q.my_client)
    client = strawberry.field(resolver=q.client)
    clients = strawberry.field(resolver=q.clients_)
    package = strawberry.field(resolver=q.package)
    packages = strawberry.field(resolver=q.packages_)
    reseller = strawberry.field(resolver=q.reseller)
    resellers = strawberry.field(resolver=q.resellers_)
    deck_versions = strawberry.field(resolver=q.deck_versions)
    dids = strawberry.field(resolver=q.dids_)
    authorize_call = strawberry.field(resolver=calls_q.authorize_call)
    price_preview = strawberry.field(resolver=calls_q.price_preview_)
    sip_password = strawberry.field(resolver=calls_q.sip_password)
    cdr_report = strawberry.field(resolver=reports.cdr_report)
    profit_report = strawberry.field(resolver=reports.profit_report)
    financial_report = strawberry.field(resolver=reports.financial_report_)
    paypal_settings = strawberry.field(resolver=paypal_q.paypal_settings_)
    paypal_ipn_messages = strawberry.field(resolver=paypal_q.paypal_ipn_messages)
    my_cdr_report = strawberry.field(resolver=portal_q.my_cdr_report)
    portal_settings = strawberry.field(resolver=branding_m.portal_settings)
    portal_settings_preview = strawberry.field(resolver=branding_m.portal_settings_preview)
    portal_access = strawberry.field(resolver=access_m.portal_access_)


@strawberry.type
class Mutation:
    login = strawberry.mutation(resolver=login_m.login)
    logout = strawberry.mutation(resolver=login_m.logout)
    publish_package = strawberry.mutation(resolver=rs.publish_package)
    create_client = strawberry.mutation(resolver=rs.create_client)
    update_client = strawberry.mutation(resolver=rs.update_client)
    delete_client = strawberry.mutation(resolver=rs.delete_client)
    attach_package = strawberry.mutation(resolver=rs.attach_package)
    detach_package = strawberry.mutation(resolver=rs.detach_package)
    create_sub_account = strawberry.mutation(resolver=rs.create_sub_account)
    take_did = strawberry.mutation(resolver=rs.take_did)
    assign_did = strawberry.mutation(resolver=rs.assign_did)
    add_payment = strawberry.mutation(resolver=rs.add_payment)
    add_charge = strawberry.mutation(resolver=rs.add_charge)
    set_portal_login = strawberry.mutation(resolver=portal_admin.set_portal_login)
    submit_cdr = strawberry.mutation(resolver=calls_m.submit_cdr)
    submit_cdrs = strawberry.mutation(resolver=calls_m.submit_cdrs)
    import_deck = strawberry.mutation(resolver=op.import_deck)
    add_dids = strawberry.mutation(resolver=op.add_dids)
    create_reseller = strawberry.mutation(resolver=op.create_reseller)
    run_billing = strawberry.mutation(resolver=billing_m.run_billing)
    set_paypal_settings = strawberry.mutation(resolver=paypal_m.set_paypal_settings)
    set_sub_account_package = strawberry.mutation(resolver=sub_accounts.set_sub_account_package)
    set_sub_account_password = strawberry.mutation(resolver=sub_accounts.set_sub_account_password)
    delete_sub_account = strawberry.mutation(resolver=sub_accounts.delete_sub_account)
    unassign_did = strawberry.mutation(resolver=did_ops.unassign_did)
    reprice_did = strawberry.mutation(resolver=did_ops.reprice_did)
    release_did = strawberry.mutation(resolver=did_ops.release_did)
    update_reseller_settings = strawberry.mutation(
        resolver=reseller_settings.update_reseller_settings
    )
    request_password_reset = strawberry.mutation(resolver=reset_m.request_password_reset)
    reset_password = strawberry.mutation(resolver=reset_m.reset_password)
    update_portal_settings = strawberry.mutation(resolver=branding_m.update_portal_settings)
    upload_branding_image = strawberry.mutation(resolver=branding_m.upload_branding_image)
    delete_branding_image = strawberry.mutation(resolver=branding_m.delete_branding_image)
    set_portal_hostname = strawberry.mutation(resolver=access_m.set_portal_hostname)
    set_auto_connect_origins = strawberry.mutation(resolver=access_m.set_auto_connect_origins)
    create_portal_login_link = strawberry.mutation(resolver=access_m.create_portal_login_link)
    approve_signup = strawberry.mutation(resolver=access_m.approve_signup)
    order_did = strawberry.mutation(resolver=access_m.order_did)


@strawberry.type
class Subscription:
    balance_changed = strawberry.subscription(resolver=subs.balance_changed)
    low_balance = strawberry.subscription(resolver=subs.low_balance)
    suspension_changed = strawberry.subscription(resolver=subs.suspension_changed)


class PulsebillSchema(strawberry.Schema):
    """Logs unexpected errors (type and frames only) before ``MaskErrors`` hides them, and
    marks the request's context when the database was unreachable (HTTP 503)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_unexpected(errors)
        mark_bad_input(errors)
        if execution_context is not None and any_unavailable(errors):
            context = execution_context.context
            if context is not None and hasattr(context, "database_unavailable"):
                context.database_unavailable = True


CONFIG = StrawberryConfig(
    disable_field_suggestions=True,
    scalar_map={Decimal: DECIMAL_SCALAR, datetime: DATETIME_SCALAR, date: DATE_SCALAR},
)


def build_schema(*, dev: bool = False) -> strawberry.Schema:
    """The executable schema; ``dev`` keeps introspection on."""
    return PulsebillSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=CONFIG,
        extensions=hardening.extensions(dev=dev),
        execution_context_class=PlainFieldExecutor,
    )


def sdl() -> str:
    """The SDL as committed in ``schema.graphql``."""
    return build_schema(dev=True).as_str() + "\n"
