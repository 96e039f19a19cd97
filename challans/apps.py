from django.apps import AppConfig


class ChallansConfig(AppConfig):
    name = "challans"
    verbose_name = "E-challans"

    def ready(self) -> None:
        from challans import receivers  # noqa: F401  (connects to violations' approval signal)
