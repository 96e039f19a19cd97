from django.apps import AppConfig


class EnforcementConfig(AppConfig):
    name = "enforcement"
    verbose_name = "Cameras and enforcement"

    def ready(self) -> None:
        # Make the project's Celery app current for @shared_task in every process
        # that starts Django; kept out of `enforcement/__init__` so that the pure
        # engine modules can be imported without Celery or Django.
        from enforcement import celery  # noqa: F401
