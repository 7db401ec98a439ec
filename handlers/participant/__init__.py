"""What participants do: joining, answering reminders, their meetings and
settings, leaving a project."""
