"""What applicants do: idea fit, can I join, the FAQ, contact requests, the budget."""
