from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "civicgrid.accounts"
    label = "accounts"
    verbose_name = "账户与权限"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from . import throttle

        user_login_failed.connect(throttle.on_failure, dispatch_uid="accounts.throttle.failure")
        user_logged_in.connect(throttle.on_success, dispatch_uid="accounts.throttle.success")
