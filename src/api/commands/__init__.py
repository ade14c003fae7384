"""Sub-commands of ``pulsebill``; each module has ``register(subparsers)``."""
