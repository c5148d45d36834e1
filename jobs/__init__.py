"""Scheduled jobs: the periodic sync, each unit's e-mail digest, the weekly province
summary and deadline reminders, with delivery through SMTP or an outbox folder."""
