"""The private APIs of dependencies, each behind one small module per dependency that
checks the installed version at import (pyproject pins the same ranges)."""
