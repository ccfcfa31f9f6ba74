"""python manage.py create_xapi_client NAME [--scope SCOPE ...]  -> {"key", "secret", "scopes"}"""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError

from tutoring.xapi.credentials import DEFAULT_SCOPES, SCOPES, register_client


class Command(BaseCommand):
    help = (
        "Register a learning tool allowed to send or read xAPI statements; prints its HTTP Basic "
        "credentials once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument(
            "--scope",
            action="append",
            choices=SCOPES,
            dest="scopes",
            help="Repeat for several. Default: statements/write and statements/read/mine (the tool "
            "reads back only what it sent); statements/read lets it read every tool's statements.",
        )

    def handle(self, *args, **options) -> None:
        try:
            client, secret = register_client(options["name"], options["scopes"] or DEFAULT_SCOPES)
        except IntegrityError as problem:
            raise CommandError(f"a client named {options['name']!r} already exists") from problem
        self.stdout.write(
            json.dumps({"name": client.name, "key": client.key, "secret": secret, "scopes": client.scopes})
        )
