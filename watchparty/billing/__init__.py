"""Paid plans with Stripe: checkout, the billing portal, and signed webhooks."""
