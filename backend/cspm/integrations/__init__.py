"""Integrations: routed notifications (Slack, Teams, signed webhooks, e-mail), Jira tickets, health."""
