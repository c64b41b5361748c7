"""Test helpers shared by the delivery, lifecycle and bot tests: loopback servers and database seeding."""
