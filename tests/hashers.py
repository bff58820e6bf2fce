from django.contrib.auth.hashers import PBKDF2PasswordHasher


class FastPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Same algorithm name, fewer rounds: hashes made in tests still verify in
    the Daphne subprocesses that run with the real settings (the iteration
    count is stored in the hash)."""

    iterations = 1000
