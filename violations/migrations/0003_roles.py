from django.contrib.auth.management import create_permissions
from django.db import migrations

from violations.roles import ensure_roles


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate); create them
    # now so that the groups can be granted them in a fresh database.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    ensure_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("violations", "0002_review_fields"),
        ("enforcement", "0001_initial"),
        ("challans", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
