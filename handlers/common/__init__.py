"""What everyone has and what the user packages share: start and menu, help,
language, privacy, and helpers used by more than one kind of user."""
