"""What coordinators and administrators do: roles and invites, meetings,
announcements, reports and the audit log."""
