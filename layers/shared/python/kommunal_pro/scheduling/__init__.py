"""What several domains share about timing: the messages planned for a task, and where the reminder job
finds them."""
