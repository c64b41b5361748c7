"""The Telegram bot: inline alert buttons now; the role-based commands come with their own issue."""
