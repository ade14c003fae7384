"""The Pulsebill service."""
