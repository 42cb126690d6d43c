import pytest
from django.contrib.auth.hashers import identify_hasher

from civicgrid import settings as project_settings
from civicgrid.testing.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_passwords_are_hashed_with_argon2(settings):
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    user = UserFactory(username="hashme")
    assert identify_hasher(user.password).algorithm == "argon2"
    assert user.check_password(PASSWORD)
    assert PASSWORD not in user.password
