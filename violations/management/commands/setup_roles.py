"""Create or complete the staff roles: `manage.py setup_roles` (safe to run again)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand

from violations.roles import ROLE_PERMISSIONS, ensure_roles


class Command(BaseCommand):
    help = "Create the warden, supervisor and operator groups with their permissions."

    def handle(self, *args: Any, **options: Any) -> None:
        missing = ensure_roles(Group, Permission)
        for role, names in ROLE_PERMISSIONS.items():
            granted = len(names) - len(missing.get(role, []))
            self.stdout.write(f"{role}: {granted} permissions")
            for name in missing.get(role, []):
                self.stdout.write(self.style.WARNING(f"  not defined (app not migrated?): {name}"))
