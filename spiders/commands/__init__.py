"""Project Scrapy commands (``COMMANDS_MODULE = "spiders.commands"``)."""
