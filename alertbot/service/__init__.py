"""The always-on service (``alertbot run``): scheduler, bot, dispatcher, source health, leader election."""
